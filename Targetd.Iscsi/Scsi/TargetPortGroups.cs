using System.Buffers.Binary;

namespace Targetd.Iscsi.Scsi;

/// <summary>
/// Asymmetric logical unit access (SPC-4 §5.16), implicit only: every logical unit is reached through one target port
/// (the target's portal group, tag 1, whatever portal a session came through) in one target port group whose access
/// state is active/optimized. What LIO reports with its default group, so that initiators' ALUA handlers (Linux's
/// scsi_dh_alua, Windows MPIO) attach and treat every path alike.
/// </summary>
internal static class TargetPortGroups
{
    /// <summary>The one target port group's identifier.</summary>
    public const ushort GroupId = 1;

    /// <summary>The relative target port identifier of the target's one SCSI target port.</summary>
    public const ushort RelativeTargetPort = 1;

    /// <summary>INQUIRY byte 5's TPGS field (SPC-4 §6.6.2): 01b, implicit asymmetric access only.</summary>
    public const byte ImplicitTpgs = 0x10;

    /// <summary>ASYMMETRIC ACCESS STATE (SPC-4 table 188): active/optimized.</summary>
    private const byte ActiveOptimized = 0x0;

    /// <summary>AO_SUP (SPC-4 §6.27.2): the only state this group enters.</summary>
    private const byte ActiveOptimizedSupported = 0x01;

    /// <summary>
    /// Device Identification designators for the target port (SPC-4 §7.8.6.5, §7.8.6.7): relative target port
    /// (type 4h) and target port group (type 5h), association 01b, PIV set with protocol identifier 5h (iSCSI).
    /// </summary>
    public static void WriteDesignators(Span<byte> destination)
    {
        WriteDesignator(destination, 0x04, RelativeTargetPort);
        WriteDesignator(destination[8..], 0x05, GroupId);
    }

    /// <summary>Bytes <see cref="WriteDesignators"/> writes.</summary>
    public const int DesignatorsLength = 16;

    /// <summary>
    /// REPORT TARGET PORT GROUPS (SPC-4 §6.27): MAINTENANCE IN, service action 0Ah. PARAMETER DATA FORMAT 000b gives the
    /// length-only header, 001b the extended header (format type 1, implicit transition time 0); others are refused.
    /// </summary>
    public static ScsiResult Report(ScsiRequest request)
    {
        var cdb = request.Cdb.Span;
        int format = cdb[1] >> 5;
        if (format > 1)
        {
            return ScsiResult.Check(Sense.InvalidFieldInCdb(1, 7));
        }

        int allocation = (int)Math.Min(BinaryPrimitives.ReadUInt32BigEndian(cdb[6..]), int.MaxValue);
        int header = format == 0 ? 4 : 8;
        var data = new byte[header + 8 + 4];
        BinaryPrimitives.WriteUInt32BigEndian(data, (uint)(data.Length - 4)); // RETURN DATA LENGTH
        if (format == 1)
        {
            data[4] = 0x10; // FORMAT TYPE 001b; IMPLICIT TRANSITION TIME 0
        }

        var group = data.AsSpan(header);
        group[0] = 0x80 | ActiveOptimized; // PREF: the preferred group
        group[1] = ActiveOptimizedSupported;
        BinaryPrimitives.WriteUInt16BigEndian(group[2..], GroupId);
        group[7] = 1; // TARGET PORT COUNT
        BinaryPrimitives.WriteUInt16BigEndian(group[10..], RelativeTargetPort);
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
