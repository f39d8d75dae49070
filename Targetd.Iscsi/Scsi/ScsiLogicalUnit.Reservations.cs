using System.Buffers.Binary;
using Targetd.Iscsi.Scsi.Reservations;

namespace Targetd.Iscsi.Scsi;

/// <summary>Reservations: PERSISTENT RESERVE IN/OUT (SPC-4 §6.14, §6.15) and RESERVE/RELEASE 6 and 10 (SPC-2 §7.21, §7.17).</summary>
internal sealed partial class ScsiLogicalUnit
{
    private ScsiResult PersistentReserveIn(ScsiRequest request)
    {
        var cdb = request.Cdb.Span;
        int allocation = BinaryPrimitives.ReadUInt16BigEndian(cdb[7..]);
        byte[] data = (cdb[1] & 0x1F) switch
        {
            0x00 => _reservations.ReadKeys(),
            0x01 => _reservations.ReadReservation(),
            0x02 => _reservations.ReportCapabilities(),
            0x03 => _reservations.ReadFullStatus(),
            _ => [],
        };
        return data.Length == 0 ? ScsiResult.Check(Sense.InvalidFieldInCdb(1, 4)) : ScsiResult.Data(data, allocation, request.DataIn);
    }

    private async ValueTask<ScsiResult> PersistentReserveOutAsync(ScsiRequest request, CancellationToken cancellationToken)
    {
        var cdb = request.Cdb.Span;
        var action = (PersistentReserveOutAction)(cdb[1] & 0x1F);
        if (!Enum.IsDefined(action))
        {
            return ScsiResult.Check(Sense.InvalidFieldInCdb(1, 4));
        }

        // SPC-4 §6.15.3: without SPEC_I_PT the parameter list is exactly 24 bytes.
        uint length = BinaryPrimitives.ReadUInt32BigEndian(cdb[5..]);
        if (length != ReservationState.ParameterListLength || request.DataOut.Length < ReservationState.ParameterListLength)
        {
            return ScsiResult.Check(Sense.ParameterListLengthError());
        }

        var result = _reservations.Out(request.Nexus, request.Port, action, cdb[2], request.DataOut.Span, out var persist, out var preempted);
        if (action == PersistentReserveOutAction.PreemptAndAbort && preempted.Count > 0)
        {
            // SPC-4 §5.9.11.5: the preempted I_T nexuses' tasks on this logical unit are aborted.
            await _reservations.AbortTasksOfAsync(preempted).ConfigureAwait(false);
        }

        if (persist is not null)
        {
            try
            {
                await _reservations.File!.SaveAsync(persist, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                return ScsiResult.Check(new SenseData(SenseKey.HardwareError, 0x44, 0x00)); // INTERNAL TARGET FAILURE
            }
        }

        return result.Status == ScsiStatus.Good ? ScsiResult.Good(ReservationState.ParameterListLength) : result;
    }

    private ScsiResult Reserve(ScsiRequest request)
    {
        var cdb = request.Cdb.Span;
        if (cdb[0] == (byte)ScsiOpcode.Reserve10 && (cdb[1] & 0x12) != 0)
        {
            return ScsiResult.Check(Sense.InvalidFieldInCdb(1, (cdb[1] & 0x10) != 0 ? 4 : 1)); // third-party reservations
        }

        return _reservations.TryReserve(request.Nexus) ? ScsiResult.Good() : ScsiResult.Conflict();
    }

    private ScsiResult Release(ScsiRequest request)
    {
        var cdb = request.Cdb.Span;
        if (cdb[0] == (byte)ScsiOpcode.Release10 && (cdb[1] & 0x12) != 0)
        {
            return ScsiResult.Check(Sense.InvalidFieldInCdb(1, (cdb[1] & 0x10) != 0 ? 4 : 1));
        }

        _reservations.Release(request.Nexus);
        return ScsiResult.Good();
    }
}
