namespace Targetd.Iscsi.Scsi.Reservations;

/// <summary>
/// Where a logical unit's reservations live (SPC-4 §5.9, SPC-2 §7.21): in this process (<see cref="ReservationState"/>)
/// or held by a cluster that several gateways serving the same device share (a cluster store).
/// The command path refreshes the store first, then decides conflicts on what it read.
/// </summary>
internal interface IReservationStore
{
    /// <summary>Unit attentions reservations establish for initiator ports.</summary>
    PortAttentions Attentions { get; }

    /// <summary>
    /// Brings the state up to date before a command is decided. Returns a result to end the command with when the
    /// state cannot be reached: a decision on stale state would be wrong.
    /// </summary>
    ValueTask<ScsiResult?> RefreshAsync(CancellationToken cancellationToken);

    /// <summary>Whether a command through the nexus meets a reservation held by another (SPC-4 §5.9.1; SPC-2 §5.5.1).</summary>
    bool Conflicts(ulong nexus, string port, CommandAccess access, bool allowedUnderReserve);

    /// <summary>RESERVE(6) and RESERVE(10) (SPC-2 §7.21).</summary>
    ValueTask<ScsiResult> ReserveAsync(ulong nexus, CancellationToken cancellationToken);

    /// <summary>RELEASE(6) and RELEASE(10) (SPC-2 §7.17).</summary>
    ValueTask<ScsiResult> ReleaseAsync(ulong nexus, CancellationToken cancellationToken);

    /// <summary>PERSISTENT RESERVE OUT with its 24-byte parameter list already length-checked (SPC-4 §6.15).</summary>
    ValueTask<ScsiResult> OutAsync(
        ulong nexus, string port, PersistentReserveOutAction action, byte scopeAndType, ReadOnlyMemory<byte> parameters, CancellationToken cancellationToken);

    /// <summary>PERSISTENT RESERVE IN's parameter data for a service action (SPC-4 §6.14), or empty for an unknown one.</summary>
    byte[] In(int serviceAction);

    /// <summary>Knows an I_T nexus by its port, with how to abort its tasks on this unit (PREEMPT AND ABORT).</summary>
    void Attach(ulong nexus, string port, Func<ValueTask> abortTasks);

    /// <summary>The I_T nexus is gone: its RESERVE reservation ends with it (SPC-4 §5.9.2).</summary>
    void NexusLost(ulong nexus);

    /// <summary>The initiator ports of the attached I_T nexuses.</summary>
    IReadOnlyCollection<string> AttachedPorts();

    /// <summary>
    /// A logical unit or target reset clears RESERVE reservations (SPC-2 §5.5.1) but not persistent ones; a store
    /// other gateways share tells them, so that their I_T nexuses get the reset's unit attention too (SAM-5 §5.14).
    /// </summary>
    ValueTask ResetAsync(SenseData resetSense);
}
