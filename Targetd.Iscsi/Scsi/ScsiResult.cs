namespace Targetd.Iscsi.Scsi;

/// <summary>The outcome of a SCSI command.</summary>
/// <param name="Status">The SCSI status.</param>
/// <param name="Sense">Sense data for CHECK CONDITION.</param>
/// <param name="DataInLength">The bytes placed in the data-in buffer.</param>
/// <param name="TransferLength">The bytes the command itself wanted to transfer, either way; the transport derives residuals from it.</param>
internal readonly record struct ScsiResult(ScsiStatus Status, SenseData? Sense, int DataInLength, long TransferLength)
{
    public static ScsiResult Good(long transferLength = 0, int dataInLength = 0) => new(ScsiStatus.Good, null, dataInLength, transferLength);

    public static ScsiResult Check(SenseData sense) => new(ScsiStatus.CheckCondition, sense, 0, 0);

    /// <summary>RESERVATION CONFLICT (SAM-5 §5.3.1): the command meets a reservation held through another I_T nexus.</summary>
    public static ScsiResult Conflict() => new(ScsiStatus.ReservationConflict, null, 0, 0);

    /// <summary>GOOD with response bytes copied into the data-in buffer, cut at the allocation length (SPC-4 §4.2.5.6).</summary>
    public static ScsiResult Data(ReadOnlySpan<byte> response, int allocationLength, Memory<byte> dataIn)
    {
        int transfer = Math.Min(response.Length, allocationLength);
        int copied = Math.Min(transfer, dataIn.Length);
        response[..copied].CopyTo(dataIn.Span);
        return new(ScsiStatus.Good, null, copied, transfer);
    }
}
