namespace Targetd.Iscsi.Scsi.Reservations;

/// <summary>The in-process reservation store: the state itself, with its APTPL file.</summary>
internal sealed partial class ReservationState : IReservationStore
{
    /// <inheritdoc/>
    public ValueTask<ScsiResult?> RefreshAsync(CancellationToken cancellationToken) => ValueTask.FromResult<ScsiResult?>(null);

    /// <inheritdoc/>
    public ValueTask<ScsiResult> ReserveAsync(ulong nexus, CancellationToken cancellationToken) =>
        ValueTask.FromResult(TryReserve(nexus) ? ScsiResult.Good() : ScsiResult.Conflict());

    /// <inheritdoc/>
    public ValueTask<ScsiResult> ReleaseAsync(ulong nexus, CancellationToken cancellationToken)
    {
        Release(nexus);
        return ValueTask.FromResult(ScsiResult.Good());
    }

    /// <inheritdoc/>
    public async ValueTask<ScsiResult> OutAsync(
        ulong nexus, string port, PersistentReserveOutAction action, byte scopeAndType, ReadOnlyMemory<byte> parameters, CancellationToken cancellationToken)
    {
        var result = Out(nexus, port, action, scopeAndType, parameters.Span, out var persist, out var preempted);
        if (action == PersistentReserveOutAction.PreemptAndAbort && preempted.Count > 0)
        {
            // SPC-4 §5.9.11.5: the preempted I_T nexuses' tasks on this logical unit are aborted.
            await AbortTasksOfAsync(preempted).ConfigureAwait(false);
        }

        if (persist is not null)
        {
            try
            {
                await File!.SaveAsync(persist, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                return ScsiResult.Check(new SenseData(SenseKey.HardwareError, 0x44, 0x00)); // INTERNAL TARGET FAILURE
            }
        }

        return result;
    }

    /// <inheritdoc/>
    public ValueTask ResetAsync(SenseData resetSense)
    {
        Reset();
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc/>
    public byte[] In(int serviceAction) => serviceAction switch
    {
        0x00 => ReadKeys(),
        0x01 => ReadReservation(),
        0x02 => ReportCapabilities(),
        0x03 => ReadFullStatus(),
        _ => [],
    };
}
