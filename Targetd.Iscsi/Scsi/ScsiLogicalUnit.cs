using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Targetd.Core.BlockDevices;
using Targetd.Iscsi.Scsi.Reservations;

namespace Targetd.Iscsi.Scsi;

/// <summary>
/// A logical unit as one LUN shows it: a view of a direct-access block device (SBC-3, a <see cref="ScsiDevice"/>)
/// that every other view of the device shares state with. It knows nothing of the transport: it takes a CDB, the
/// I_T nexus and data buffers and returns status, sense and data.
/// </summary>
internal sealed partial class ScsiLogicalUnit
{
    /// <summary>The largest transfer of one command, in bytes; reported in the Block Limits VPD page.</summary>
    public const int MaxTransferBytes = 8 * 1024 * 1024;

    /// <summary>The most UNMAP block descriptors accepted in one command.</summary>
    public const int MaxUnmapDescriptors = 256;

    private readonly ScsiDevice _device;
    private readonly IReservationStore _reservations;
    private readonly Metrics.LunMetrics _metrics;

    /// <summary>A view of a device: what one target serves at one LUN (for one initiator, when mapped for it).</summary>
    /// <param name="device">The device; every view of it shares its state.</param>
    /// <param name="targetName">The target's name, for the unit's metrics.</param>
    /// <param name="lun">The LUN the view is seen at.</param>
    public ScsiLogicalUnit(ScsiDevice device, string targetName, int lun)
    {
        ArgumentNullException.ThrowIfNull(device);
        _device = device;
        Medium = device.Medium;
        BlockSize = Medium.LogicalBlockSize;
        _reservations = device.Reservations;
        Lun = lun;
        _metrics = new Metrics.LunMetrics(targetName, lun, Serial);
    }

    /// <summary>A view of a device of its own, shared with no other view.</summary>
    /// <param name="medium">The backing device.</param>
    /// <param name="targetName">The target's name; with the LUN it gives the serial when none is given.</param>
    /// <param name="lun">The LUN.</param>
    /// <param name="serial">A stable serial number; derived from the target name and LUN when null.</param>
    /// <param name="reservationsDirectory">Where APTPL reservations are kept; null offers none.</param>
    public ScsiLogicalUnit(IBlockDevice medium, string targetName, int lun, string? serial = null, string? reservationsDirectory = null)
        : this(new ScsiDevice(medium, serial ?? DerivedSerial(targetName, lun), reservationsDirectory), targetName, lun)
    {
    }

    /// <summary>The LUN the view is seen at.</summary>
    public int Lun { get; }

    /// <summary>The device this view shows.</summary>
    public ScsiDevice Device => _device;

    /// <summary>The backing block device.</summary>
    public IBlockDevice Medium { get; }

    public int BlockSize { get; }

    /// <summary>The device's capacity in blocks (it follows the medium when the device is told it was resized).</summary>
    public long BlockCount => _device.BlockCount;

    /// <summary>The device's identity (VPD pages 80h and 83h).</summary>
    public ScsiDeviceIdentity Identity => _device.Identity;

    /// <summary>The unit serial number (VPD page 80h).</summary>
    public string Serial => _device.Identity.Serial;

    private int MaxTransferBlocks => MaxTransferBytes / BlockSize;

    /// <summary>Whether writes are refused: a read-only device, or software write protection (SWP) set by MODE SELECT.</summary>
    private bool IsWriteProtected => Medium.IsReadOnly || _device.SoftwareWriteProtect;

    /// <summary>DATA PROTECT with WRITE PROTECTED for a read-only device, LOGICAL UNIT SOFTWARE WRITE PROTECTED for SWP.</summary>
    private SenseData WriteProtectedSense => Medium.IsReadOnly ? Sense.WriteProtected() : Sense.SoftwareWriteProtected();

    /// <summary>A serial for a unit given none: 24 hex digits of a hash of the target name and LUN.</summary>
    internal static string DerivedSerial(string targetName, int lun) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{targetName}/{lun}")), 0, 12);

    /// <summary>A reset of the logical unit: every nexus of the device, through any view, gets a unit attention.</summary>
    public void Reset(bool logicalUnitReset) => ResetAsync(logicalUnitReset).AsTask().GetAwaiter().GetResult();

    /// <summary>As <see cref="Reset"/>, waiting for a store other gateways share to have told them.</summary>
    public ValueTask ResetAsync(bool logicalUnitReset) => _device.ResetAsync(logicalUnitReset);

    /// <summary>Starts tracking an I_T nexus: resets from now on raise a unit attention for it.</summary>
    /// <param name="nexus">The I_T nexus.</param>
    /// <param name="port">Its initiator port, when the transport knows it.</param>
    /// <param name="abortTasks">Aborts the nexus's tasks on this unit (PREEMPT AND ABORT), when the transport can.</param>
    public void AttachNexus(ulong nexus, string? port = null, Func<ValueTask>? abortTasks = null) => _device.AttachNexus(nexus, port, abortTasks);

    /// <summary>Drops what is held for an I_T nexus that has gone.</summary>
    public void ForgetNexus(ulong nexus) => _device.ForgetNexus(nexus);

    /// <summary>Executes one command, and records it in the unit's metrics.</summary>
    public ValueTask<ScsiResult> ExecuteAsync(ScsiRequest request, CancellationToken cancellationToken)
    {
        long start = System.Diagnostics.Stopwatch.GetTimestamp();
        byte opcode = request.Cdb.IsEmpty ? (byte)0 : request.Cdb.Span[0];
        var pending = ExecuteCommandAsync(request, cancellationToken);
        if (pending.IsCompletedSuccessfully)
        {
            var result = pending.Result;
            _metrics.Record(opcode, result, start);
            return ValueTask.FromResult(result);
        }

        return RecordWhenDoneAsync(pending, opcode, start);
    }

    private async ValueTask<ScsiResult> RecordWhenDoneAsync(ValueTask<ScsiResult> pending, byte opcode, long start)
    {
        var result = await pending.ConfigureAwait(false);
        _metrics.Record(opcode, result, start);
        return result;
    }

    private async ValueTask<ScsiResult> ExecuteCommandAsync(ScsiRequest request, CancellationToken cancellationToken)
    {
        var cdb = request.Cdb.Span;
        if (cdb.IsEmpty)
        {
            return ScsiResult.Check(Sense.InvalidOpcode());
        }

        var command = ScsiCommandTable.Find(cdb[0], cdb.Length > 1 ? cdb[1] : (byte)0);
        var traits = command?.Traits ?? ScsiCommandTraits.None;

        // SBC-3 §4.11: while a SANITIZE runs only INQUIRY, REPORT LUNS and REQUEST SENSE are served; after one failed,
        // medium access waits for EXIT FAILURE MODE or a new SANITIZE.
        if (_device.Sanitizing && (traits & ScsiCommandTraits.ServedWhileSanitizing) == 0)
        {
            return ScsiResult.Check(Sense.SanitizeInProgress());
        }

        if (_device.SanitizeFailed && (traits & ScsiCommandTraits.MediumAccess) != 0)
        {
            return ScsiResult.Check(Sense.SanitizeCommandFailed());
        }

        if (command is not null && IsPlainRead(command) && request.Cdb.Length >= command.CdbLength && _reservations is not ReservationState)
        {
            return await ReadBesideRefreshAsync(command, request, cancellationToken).ConfigureAwait(false);
        }

        // A reservation store a cluster holds is read before a conflict is decided and its unit attentions taken.
        if ((traits & ScsiCommandTraits.IgnoresUnitAttention) == 0
            && await _reservations.RefreshAsync(cancellationToken).ConfigureAwait(false) is { } unreachable)
        {
            return unreachable;
        }

        if (Refusal(request, traits, command?.Access ?? CommandAccess.Write) is { } refusal)
        {
            return refusal;
        }

        if (command is null)
        {
            // A served opcode with an unknown service action names the SERVICE ACTION field; anything else is unknown.
            return ScsiResult.Check(ScsiCommandTable.HasServiceActions(request.Cdb.Span[0]) ? Sense.InvalidFieldInCdb(1, 4) : Sense.InvalidOpcode());
        }

        if (request.Cdb.Length < command.CdbLength)
        {
            // A CDB shorter than its opcode requires.
            return ScsiResult.Check(Sense.InvalidFieldInCdb(0));
        }

        return await RunAsync(command, request, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>READ(6), (10), (12) and (16): medium access that changes nothing.</summary>
    private static bool IsPlainRead(ScsiCommand command) =>
        command.Opcode is ScsiOpcode.Read6 or ScsiOpcode.Read10 or ScsiOpcode.Read12 or ScsiOpcode.Read16;

    /// <summary>
    /// A READ on a logical unit whose reservations a cluster holds: the medium is read while the state is read, and
    /// the data goes out only if the state, read after the command arrived, lets it (no unit attention pending, no
    /// conflict, the state reached). A read changes nothing, so one that is refused has done no harm, and the state
    /// read costs no latency. Writes still wait for the state first.
    /// </summary>
    private async ValueTask<ScsiResult> ReadBesideRefreshAsync(ScsiCommand command, ScsiRequest request, CancellationToken cancellationToken)
    {
        var refresh = _reservations.RefreshAsync(cancellationToken).AsTask();
        var read = RunAsync(command, request, cancellationToken).AsTask();

        // The read fills the command's buffer: it ends before the command does, whatever is answered.
        var result = await read.ConfigureAwait(false);
        return await refresh.ConfigureAwait(false) ?? Refusal(request, command.Traits, command.Access) ?? result;
    }

    /// <summary>
    /// What stops a command once the reservation state is current: a pending unit attention, except for the commands
    /// SPC-4 §5.14 lets through one (INQUIRY, REPORT LUNS, REQUEST SENSE), then a reservation held through another
    /// nexus (SPC-4 §5.9.1).
    /// </summary>
    private ScsiResult? Refusal(ScsiRequest request, ScsiCommandTraits traits, CommandAccess access)
    {
        if ((traits & ScsiCommandTraits.IgnoresUnitAttention) == 0 && TakeUnitAttention(request) is { } attention)
        {
            return ScsiResult.Check(attention);
        }

        return _reservations.Conflicts(request.Nexus, request.Port, access, (traits & ScsiCommandTraits.AllowedUnderReserve) != 0)
            ? ScsiResult.Conflict()
            : null;
    }

    private async ValueTask<ScsiResult> RunAsync(ScsiCommand command, ScsiRequest request, CancellationToken cancellationToken)
    {
        try
        {
            return await command.Handler(this, request, cancellationToken).ConfigureAwait(false);
        }
        catch (ArgumentOutOfRangeException)
        {
            return ScsiResult.Check(Sense.LbaOutOfRange());
        }
        catch (NotSupportedException)
        {
            return ScsiResult.Check(Sense.WriteProtected());
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException)
        {
            // An I/O failure, or data the image cannot decode (a damaged compressed cluster): an unrecovered read
            // or write error of the medium (SPC-4 4.5.6, MEDIUM ERROR 11h/00h or 0Ch/00h), not a fault of the target.
            return ScsiResult.Check(command.Has(ScsiCommandTraits.Writes) ? Sense.WriteError() : Sense.ReadError());
        }
    }

    /// <summary>REPORT LUNS through the unit itself: the LUNs its nexus may address, or its own.</summary>
    private ScsiResult ReportLuns(ScsiRequest request) => ScsiDispatcher.ReportLuns(request.VisibleUnits?.Keys ?? [Lun], request);

    private SenseData? TakeUnitAttention(ScsiRequest request) => _device.TakeUnitAttention(request.Nexus, request.Port);

    private ScsiResult RequestSense(ScsiRequest request)
    {
        var cdb = request.Cdb.Span;
        if ((cdb[1] & 0x01) != 0)
        {
            // Descriptor-format sense data is not supported (SPC-4 §6.39).
            return ScsiResult.Check(Sense.InvalidFieldInCdb(1, 0));
        }

        var sense = TakeUnitAttention(request) ?? Sense.NoSense();
        return ScsiResult.Data(sense.ToArray(), cdb[4], request.DataIn);
    }

    private ScsiResult ReadCapacity10(ScsiRequest request)
    {
        Span<byte> response = stackalloc byte[8];
        long lastLba = BlockCount - 1;
        BinaryPrimitives.WriteUInt32BigEndian(response, lastLba > uint.MaxValue ? uint.MaxValue : (uint)lastLba);
        BinaryPrimitives.WriteUInt32BigEndian(response[4..], (uint)BlockSize);
        return ScsiResult.Data(response, 8, request.DataIn);
    }

    internal async ValueTask<ScsiResult> ServiceActionInAsync(ScsiRequest request, CancellationToken cancellationToken)
    {
        var cdb = request.Cdb.Span;
        int allocation = (int)Math.Min(BinaryPrimitives.ReadUInt32BigEndian(cdb[10..]), int.MaxValue);
        switch (cdb[1] & 0x1F)
        {
            case ScsiCommandTable.ReadCapacity16:
            {
                // SBC-3 §5.16.2, table 66.
                var response = new byte[32];
                BinaryPrimitives.WriteUInt64BigEndian(response, (ulong)(BlockCount - 1));
                BinaryPrimitives.WriteUInt32BigEndian(response.AsSpan(8), (uint)BlockSize);
                if (Medium.IsThin)
                {
                    response[14] = 0x80 | 0x40; // LBPME, LBPRZ
                }

                return ScsiResult.Data(response, allocation, request.DataIn);
            }

            case ScsiCommandTable.GetLbaStatus:
                return await GetLbaStatusAsync(request, allocation, cancellationToken).ConfigureAwait(false);
            default:
                return ScsiResult.Check(Sense.InvalidFieldInCdb(1, 4));
        }
    }
}
