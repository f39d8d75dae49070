using Targetd.Iscsi.Scsi.Reservations;

namespace Targetd.Iscsi.Scsi;

/// <summary>
/// What belongs to a logical unit rather than to one view of it: every <see cref="ScsiLogicalUnit"/> over the same
/// device (each initiator's ACL mapping, the same disk in two targets) shares its reservations and its software
/// write protection.
/// </summary>
internal sealed class SharedUnitState(ReservationState reservations)
{
    private volatile bool _softwareWriteProtect;
    private int _sanitizing;
    private volatile bool _sanitizeFailed;

    public ReservationState Reservations { get; } = reservations;

    /// <summary>The SWP bit of the Control mode page (SPC-4 §7.5.8): writes are refused while it is set.</summary>
    public bool SoftwareWriteProtect
    {
        get => _softwareWriteProtect;
        set => _softwareWriteProtect = value;
    }

    /// <summary>A SANITIZE is running: other commands meet NOT READY, SANITIZE IN PROGRESS (SBC-3 §4.11).</summary>
    public bool Sanitizing => Volatile.Read(ref _sanitizing) != 0;

    /// <summary>Marks a SANITIZE as running, unless one already is.</summary>
    public bool TryStartSanitize() => Interlocked.CompareExchange(ref _sanitizing, 1, 0) == 0;

    /// <summary>The running SANITIZE has ended.</summary>
    public void EndSanitize() => Volatile.Write(ref _sanitizing, 0);

    /// <summary>A SANITIZE failed: medium access meets SANITIZE COMMAND FAILED until EXIT FAILURE MODE or a new SANITIZE.</summary>
    public bool SanitizeFailed
    {
        get => _sanitizeFailed;
        set => _sanitizeFailed = value;
    }
}
