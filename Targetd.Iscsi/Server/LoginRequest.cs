using System.Buffers.Binary;
using Targetd.Iscsi.Wire;

namespace Targetd.Iscsi.Server;

/// <summary>The fields of a Login Request (RFC 7143 §11.12) with its keys.</summary>
internal sealed record LoginRequest(
    bool Transit,
    bool Continue,
    int CurrentStage,
    int NextStage,
    byte VersionMax,
    byte VersionMin,
    ulong Isid,
    ushort Tsih,
    uint InitiatorTaskTag,
    ushort Cid,
    uint CmdSN,
    IReadOnlyList<KeyValuePair<string, string>> Keys)
{
    /// <summary>Reads the header fields: byte 1 is |T|C|.|.|CSG|NSG|, the ISID bytes 8-13, the TSIH bytes 14-15.</summary>
    public static LoginRequest Parse(BasicHeaderSegment bhs, IReadOnlyList<KeyValuePair<string, string>> keys)
    {
        var bytes = bhs.Bytes;
        byte flags = bytes[1];
        ulong isid = BinaryPrimitives.ReadUInt64BigEndian(bytes[8..]) >> 16;
        return new LoginRequest(
            (flags & 0x80) != 0,
            (flags & 0x40) != 0,
            (flags >> 2) & 0x03,
            flags & 0x03,
            bytes[2],
            bytes[3],
            isid,
            BinaryPrimitives.ReadUInt16BigEndian(bytes[14..]),
            bhs.InitiatorTaskTag,
            BinaryPrimitives.ReadUInt16BigEndian(bytes[20..]),
            bhs.CmdSN,
            keys);
    }
}
