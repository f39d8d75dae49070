using System.Buffers.Binary;
using Targetd.Iscsi.Wire;

namespace Targetd.Tests.Iscsi;

/// <summary>A PDU read by <see cref="TestInitiator"/>.</summary>
internal sealed record ReceivedPdu(byte[] Header, byte[] Data)
{
    public IscsiOpcode Opcode => (IscsiOpcode)(Header[0] & 0x3F);

    public byte Flags => Header[1];

    public uint InitiatorTaskTag => BinaryPrimitives.ReadUInt32BigEndian(Header.AsSpan(16));

    public uint UInt32At(int offset) => BinaryPrimitives.ReadUInt32BigEndian(Header.AsSpan(offset));

    public uint StatSN => UInt32At(24);

    public uint ExpCmdSN => UInt32At(28);

    public uint MaxCmdSN => UInt32At(32);
}
