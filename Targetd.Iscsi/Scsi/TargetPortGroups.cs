using System.Buffers.Binary;

namespace Targetd.Iscsi.Scsi;

/// <summary>
/// Asymmetric logical unit access (SPC-4 §5.16), implicit only, as one device reports it through this gateway: the
/// target port groups serving it, one SCSI target port each (the gateway's, whatever portal a session came through,
/// its relative target port identifier equal to its group id), which one is active/optimized (the others are
/// active/non-optimized: every path stays usable, so initiators fail over without a transition), and which group
/// is this gateway's. With one group, what LIO reports with its default group.
/// </summary>
internal sealed class TargetPortGroups
{
    /// <summary>INQUIRY byte 5's TPGS field (SPC-4 §6.6.2): 01b, implicit asymmetric access only.</summary>
    public const byte ImplicitTpgs = 0x10;

    /// <summary>Bytes <see cref="WriteDesignators"/> writes.</summary>
    public const int DesignatorsLength = 16;

    /// <summary>ASYMMETRIC ACCESS STATE (SPC-4 §6.27.2, table 188): active/optimized.</summary>
    public const byte ActiveOptimized = 0x0;

    /// <summary>ASYMMETRIC ACCESS STATE (SPC-4 §6.27.2, table 188): active/non-optimized.</summary>
    public const byte ActiveNonOptimized = 0x1;

    /// <summary>AO_SUP (SPC-4 §6.27.2): the group may be active/optimized.</summary>
    private const byte ActiveOptimizedSupported = 0x01;

    /// <summary>AN_SUP (SPC-4 §6.27.2): the group may be active/non-optimized.</summary>
    private const byte ActiveNonOptimizedSupported = 0x02;

    private readonly ushort[] _groups;

    /// <param name="localGroup">This gateway's group, which must be among <paramref name="groups"/>.</param>
    /// <param name="groups">Every group serving the device, ascending, no duplicates.</param>
    /// <param name="optimized">The active/optimized group, among <paramref name="groups"/>.</param>
    public TargetPortGroups(ushort localGroup, ushort[] groups, ushort optimized)
    {
        LocalGroup = localGroup;
        _groups = groups;
        Optimized = optimized;
    }

    /// <summary>This gateway's group, also the relative target port identifier of its one target port.</summary>
    public ushort LocalGroup { get; }

    /// <summary>Every group serving the device, ascending.</summary>
    public IReadOnlyList<ushort> Groups => _groups;

    /// <summary>The one active/optimized group.</summary>
    public ushort Optimized { get; }

    /// <summary>The asymmetric access state of a group (SPC-4 §5.16.2.2, §5.16.2.3).</summary>
    public byte StateOf(ushort group) => group == Optimized ? ActiveOptimized : ActiveNonOptimized;

    /// <summary>Whether another description reports the same groups in the same access states (SPC-4 §5.16.2.4).</summary>
    public bool SameStates(TargetPortGroups other) =>
        other is not null && other.Optimized == Optimized && other._groups.AsSpan().SequenceEqual(_groups);

    /// <summary>
    /// Device Identification designators for the target port (SPC-4 §7.8.6.5, §7.8.6.7): relative target port
    /// (type 4h) and target port group (type 5h) of this gateway, association 01b, PIV set with protocol identifier
    /// 5h (iSCSI).
    /// </summary>
    public void WriteDesignators(Span<byte> destination)
    {
        WriteDesignator(destination, 0x04, LocalGroup);
        WriteDesignator(destination[8..], 0x05, LocalGroup);
    }

    /// <summary>
    /// REPORT TARGET PORT GROUPS (SPC-4 §6.27): MAINTENANCE IN, service action 0Ah. PARAMETER DATA FORMAT 000b gives the
    /// length-only header, 001b the extended header (format type 1, implicit transition time 0); others are refused.
    /// One target port group descriptor (§6.27.2) per group with one target port descriptor (§6.27.3) each.
    /// </summary>
    public ScsiResult Report(ScsiRequest request)
    {
        var cdb = request.Cdb.Span;
        int format = cdb[1] >> 5;
        if (format > 1)
        {
            return ScsiResult.Check(Sense.InvalidFieldInCdb(1, 7));
        }

        int allocation = (int)Math.Min(BinaryPrimitives.ReadUInt32BigEndian(cdb[6..]), int.MaxValue);
        int header = format == 0 ? 4 : 8;
        var data = new byte[header + (_groups.Length * (8 + 4))];
        BinaryPrimitives.WriteUInt32BigEndian(data, (uint)(data.Length - 4)); // RETURN DATA LENGTH
        if (format == 1)
        {
            data[4] = 0x10; // FORMAT TYPE 001b; IMPLICIT TRANSITION TIME 0
        }

        // A single group is only ever active/optimized; several may each be either (SPC-4 §6.27.2: the supported states).
        byte supported = _groups.Length == 1 ? ActiveOptimizedSupported : (byte)(ActiveOptimizedSupported | ActiveNonOptimizedSupported);
        for (int i = 0; i < _groups.Length; i++)
        {
            ushort id = _groups[i];
            var group = data.AsSpan(header + (i * 12), 12);
            group[0] = (byte)((id == Optimized ? 0x80 : 0) | StateOf(id)); // PREF on the preferred group; ASYMMETRIC ACCESS STATE
            group[1] = supported;
            BinaryPrimitives.WriteUInt16BigEndian(group[2..], id);
            group[7] = 1; // TARGET PORT COUNT
            BinaryPrimitives.WriteUInt16BigEndian(group[10..], id); // RELATIVE TARGET PORT IDENTIFIER: one port per group
        }

        return ScsiResult.Data(data, allocation, request.DataIn);
    }

    private static void WriteDesignator(Span<byte> destination, byte type, ushort value)
    {
        destination[0] = 0x51; // PROTOCOL IDENTIFIER 5h (iSCSI), CODE SET 1h (binary)
        destination[1] = (byte)(0x80 | 0x10 | type); // PIV, ASSOCIATION 01b (target port), DESIGNATOR TYPE
        destination[2] = 0;
        destination[3] = 4; // DESIGNATOR LENGTH
        destination[4] = 0;
        destination[5] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(destination[6..], value);
    }
}
