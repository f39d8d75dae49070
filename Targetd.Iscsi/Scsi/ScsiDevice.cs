using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using Targetd.Core.BlockDevices;
using Targetd.Iscsi.Scsi.Reservations;

namespace Targetd.Iscsi.Scsi;

/// <summary>
/// One SCSI logical unit's device (LIO's <c>se_device</c>, SPDK's <c>spdk_scsi_dev</c>): a block device with what
/// belongs to it rather than to any one view of it. Every LUN that maps it, in any target, for any initiator,
/// shares its identity, its reservations and their APTPL file, the lock that makes COMPARE AND WRITE, ORWRITE and
/// WRITE ATOMIC atomic against each other, software write protection, sanitize state, copy results and resets.
/// Create one per backing device and map that same object wherever the device is exported.
/// </summary>
[SuppressMessage("Reliability", "CA1001", Justification = "The read-modify-write SemaphoreSlim never creates its wait handle; nothing to release.")]
public sealed class ScsiDevice
{
    private readonly ConcurrentDictionary<ulong, long> _seenResetGeneration = new();
    private long _resetGeneration;
    private SenseData _resetSense = Sense.ResetOccurred();
    private volatile bool _softwareWriteProtect;
    private int _sanitizing;
    private volatile bool _sanitizeFailed;
    private long _blockCount;
    private TargetPortGroups _portGroups;

    /// <param name="medium">The backing block device; the SCSI device does not dispose it.</param>
    /// <param name="serial">The unit serial number from which every designator derives (a volume's uuid, say).</param>
    /// <param name="reservationsDirectory">
    /// Where persistent reservations are kept when an initiator asks for persistence through power loss (APTPL), in
    /// a file named after the NAA designator; null offers none.
    /// </param>
    /// <remarks>
    /// A medium that is also an <see cref="ISharedDeviceState"/> (an RBD image) keeps its reservations there, shared
    /// with every gateway serving it; others keep them in this process.
    /// </remarks>
    /// <exception cref="ArgumentException">The serial is not a valid unit serial number.</exception>
    public ScsiDevice(IBlockDevice medium, string serial, string? reservationsDirectory = null)
    {
        ArgumentNullException.ThrowIfNull(medium);
        Medium = medium;
        _blockCount = medium.Length / medium.LogicalBlockSize;
        Identity = ScsiDeviceIdentity.FromSerial(serial);
        _portGroups = TargetPortGroupSettings.Default.For(Identity, medium is ISharedDeviceState);
        if (medium is ISharedDeviceState shared)
        {
            // A device several gateways serve keeps its reservations where they all read them.
            Reservations = new ClusterReservationStore(shared, ClusterReservationStore.NewGatewayName());
        }
        else
        {
            var file = reservationsDirectory is null
                ? null
                : new ReservationFile(Path.Combine(reservationsDirectory, Identity.NaaHex + ".pr"));
            Reservations = new ReservationState(new PortAttentions(), file);
        }
    }

    /// <summary>The backing block device.</summary>
    public IBlockDevice Medium { get; }

    /// <summary>The identity every view reports.</summary>
    public ScsiDeviceIdentity Identity { get; }

    /// <summary>The number of logical blocks READ CAPACITY reports: the medium's, as of the last <see cref="RefreshCapacity"/>.</summary>
    public long BlockCount => Interlocked.Read(ref _blockCount);

    internal IReservationStore Reservations { get; }

    /// <summary>The target port groups the device reports through this gateway and their access states (SPC-4 §5.16).</summary>
    internal TargetPortGroups PortGroups => Volatile.Read(ref _portGroups);

    /// <summary>Serialises the read-modify-write commands (COMPARE AND WRITE, ORWRITE, WRITE ATOMIC) on the device.</summary>
    internal SemaphoreSlim ReadModifyWrite { get; } = new(1, 1);

    /// <summary>What RECEIVE COPY RESULTS reports, by the I_T nexus and list identifier of each EXTENDED COPY.</summary>
    internal ConcurrentDictionary<(ulong Nexus, byte List), CopyResult> CopyResults { get; } = new();

    /// <summary>The SWP bit of the Control mode page (SPC-4 §7.5.8): writes are refused while it is set.</summary>
    internal bool SoftwareWriteProtect
    {
        get => _softwareWriteProtect;
        set => _softwareWriteProtect = value;
    }

    /// <summary>A SANITIZE is running: other commands meet NOT READY, SANITIZE IN PROGRESS (SBC-3 §4.11).</summary>
    internal bool Sanitizing => Volatile.Read(ref _sanitizing) != 0;

    /// <summary>A SANITIZE failed: medium access meets SANITIZE COMMAND FAILED until EXIT FAILURE MODE or a new SANITIZE.</summary>
    internal bool SanitizeFailed
    {
        get => _sanitizeFailed;
        set => _sanitizeFailed = value;
    }

    /// <summary>Marks a SANITIZE as running, unless one already is.</summary>
    internal bool TryStartSanitize() => Interlocked.CompareExchange(ref _sanitizing, 1, 0) == 0;

    /// <summary>The running SANITIZE has ended.</summary>
    internal void EndSanitize() => Volatile.Write(ref _sanitizing, 0);

    /// <summary>
    /// A reset of the logical unit (SAM-5 §5.14): every I_T nexus of the device, through any view, gets a unit
    /// attention (29h/03h after a LOGICAL UNIT RESET, 29h/00h after a target reset), and RESERVE reservations end.
    /// </summary>
    internal ValueTask ResetAsync(bool logicalUnitReset)
    {
        _resetSense = logicalUnitReset ? Sense.LogicalUnitResetOccurred() : Sense.ResetOccurred();
        Interlocked.Increment(ref _resetGeneration);
        return Reservations.ResetAsync(_resetSense);
    }

    /// <summary>
    /// Takes the medium's length again after it was resized: when the number of blocks changed, every view reports
    /// the new capacity and every I_T nexus attached to the device, through any view, gets CAPACITY DATA HAS CHANGED
    /// (2Ah/09h; SBC-3 §4.6: "the device server shall establish a unit attention condition … for all I_T nexuses").
    /// </summary>
    /// <returns>Whether the capacity changed.</returns>
    public bool RefreshCapacity()
    {
        long blocks = Medium.Length / Medium.LogicalBlockSize;
        if (Interlocked.Exchange(ref _blockCount, blocks) == blocks)
        {
            return false;
        }

        Reservations.Attentions.Establish(Reservations.AttachedPorts(), Sense.CapacityDataHasChanged());
        return true;
    }

    /// <summary>
    /// Takes this gateway's target port group settings (<see cref="TargetPortGroupSettings.Default"/> until then): a
    /// medium that is an <see cref="ISharedDeviceState"/> reports every shared group, others only the local one. When
    /// the groups or their access states change, every I_T nexus attached to the device, through any view, gets
    /// ASYMMETRIC ACCESS STATE CHANGED (2Ah/06h; SPC-4 §5.16.2.4: "the device server shall establish a unit attention
    /// condition for the initiator port associated with every I_T nexus").
    /// </summary>
    /// <returns>Whether the reported groups or access states changed.</returns>
    public bool ApplyPortGroups(TargetPortGroupSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var groups = settings.For(Identity, Medium is ISharedDeviceState);
        if (Interlocked.Exchange(ref _portGroups, groups).SameStates(groups))
        {
            return false;
        }

        Reservations.Attentions.Establish(Reservations.AttachedPorts(), Sense.AsymmetricAccessStateChanged());
        return true;
    }

    /// <summary>Starts tracking an I_T nexus: resets from now on raise a unit attention for it.</summary>
    internal void AttachNexus(ulong nexus, string? port, Func<ValueTask>? abortTasks)
    {
        _seenResetGeneration.TryAdd(nexus, Interlocked.Read(ref _resetGeneration));
        if (port is not null && abortTasks is not null)
        {
            Reservations.Attach(nexus, port, abortTasks);
        }
    }

    /// <summary>Drops what is held for an I_T nexus that has gone.</summary>
    internal void ForgetNexus(ulong nexus)
    {
        _seenResetGeneration.TryRemove(nexus, out _);
        Reservations.NexusLost(nexus);
        foreach (var key in CopyResults.Keys.Where(k => k.Nexus == nexus))
        {
            CopyResults.TryRemove(key, out _);
        }
    }

    /// <summary>The oldest unit attention pending for the nexus (a reset it has not seen first, then its port's), if any.</summary>
    internal SenseData? TakeUnitAttention(ulong nexus, string port)
    {
        long current = Interlocked.Read(ref _resetGeneration);
        long seen = _seenResetGeneration.GetOrAdd(nexus, current);
        if (seen == current)
        {
            return Reservations.Attentions.Take(port);
        }

        _seenResetGeneration[nexus] = current;
        return _resetSense;
    }
}
