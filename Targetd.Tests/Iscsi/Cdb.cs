using System.Buffers.Binary;

namespace Targetd.Tests.Iscsi;

/// <summary>CDBs for tests (SBC-3, SPC-4 layouts).</summary>
internal static class Cdb
{
    public static byte[] Read10(uint lba, ushort blocks, byte flags = 0) => Transfer10(0x28, lba, blocks, flags);

    public static byte[] Write10(uint lba, ushort blocks, byte flags = 0) => Transfer10(0x2A, lba, blocks, flags);

    public static byte[] Read16(ulong lba, uint blocks) => Transfer16(0x88, lba, blocks);

    public static byte[] Write16(ulong lba, uint blocks) => Transfer16(0x8A, lba, blocks);

    public static byte[] Inquiry(bool evpd = false, byte page = 0, ushort allocation = 255)
    {
        var cdb = new byte[6];
        cdb[0] = 0x12;
        cdb[1] = (byte)(evpd ? 1 : 0);
        cdb[2] = page;
        BinaryPrimitives.WriteUInt16BigEndian(cdb.AsSpan(3), allocation);
        return cdb;
    }

    public static byte[] ReadCapacity16(uint allocation = 32)
    {
        var cdb = new byte[16];
        cdb[0] = 0x9E;
        cdb[1] = 0x10;
        BinaryPrimitives.WriteUInt32BigEndian(cdb.AsSpan(10), allocation);
        return cdb;
    }

    public static byte[] ReportLuns(uint allocation = 4096)
    {
        var cdb = new byte[12];
        cdb[0] = 0xA0;
        BinaryPrimitives.WriteUInt32BigEndian(cdb.AsSpan(6), allocation);
        return cdb;
    }

    public static byte[] TestUnitReady() => new byte[6];

    public static byte[] RequestSense(byte allocation = 18) => [0x03, 0, 0, 0, allocation, 0];

    public static byte[] Unmap(ushort parameterLength)
    {
        var cdb = new byte[10];
        cdb[0] = 0x42;
        BinaryPrimitives.WriteUInt16BigEndian(cdb.AsSpan(7), parameterLength);
        return cdb;
    }

    public static byte[] UnmapParameters(ulong lba, uint blocks)
    {
        var data = new byte[24];
        BinaryPrimitives.WriteUInt16BigEndian(data, 22);
        BinaryPrimitives.WriteUInt16BigEndian(data.AsSpan(2), 16);
        BinaryPrimitives.WriteUInt64BigEndian(data.AsSpan(8), lba);
        BinaryPrimitives.WriteUInt32BigEndian(data.AsSpan(16), blocks);
        return data;
    }

    public static byte[] WriteSame16(ulong lba, uint blocks, bool unmap)
    {
        var cdb = Transfer16(0x93, lba, blocks);
        cdb[1] = (byte)(unmap ? 0x08 : 0);
        return cdb;
    }

    public static byte[] GetLbaStatus(ulong lba, uint allocation = 4096)
    {
        var cdb = new byte[16];
        cdb[0] = 0x9E;
        cdb[1] = 0x12;
        BinaryPrimitives.WriteUInt64BigEndian(cdb.AsSpan(2), lba);
        BinaryPrimitives.WriteUInt32BigEndian(cdb.AsSpan(10), allocation);
        return cdb;
    }

    public static byte[] ModeSense6(byte page, byte allocation = 255, bool dbd = false) => [0x1A, (byte)(dbd ? 0x08 : 0), page, 0, allocation, 0];

    public static byte[] ModeSense10(byte page, ushort allocation = 255)
    {
        var cdb = new byte[10];
        cdb[0] = 0x5A;
        cdb[2] = page;
        BinaryPrimitives.WriteUInt16BigEndian(cdb.AsSpan(7), allocation);
        return cdb;
    }

    public static byte[] SynchronizeCache10() => [0x35, 0, 0, 0, 0, 0, 0, 0, 0, 0];

    /// <summary>REPORT TARGET PORT GROUPS (SPC-4 §6.27): MAINTENANCE IN, service action 0Ah.</summary>
    public static byte[] ReportTargetPortGroups(byte format = 0, uint allocation = 4096)
    {
        var cdb = new byte[12];
        cdb[0] = 0xA3;
        cdb[1] = (byte)((format << 5) | 0x0A);
        BinaryPrimitives.WriteUInt32BigEndian(cdb.AsSpan(6), allocation);
        return cdb;
    }

    public static byte[] ReportSupportedOperationCodes(byte options, byte opcode = 0, ushort serviceAction = 0, uint allocation = 4096)
    {
        var cdb = new byte[12];
        cdb[0] = 0xA3;
        cdb[1] = 0x0C;
        cdb[2] = options;
        cdb[3] = opcode;
        BinaryPrimitives.WriteUInt16BigEndian(cdb.AsSpan(4), serviceAction);
        BinaryPrimitives.WriteUInt32BigEndian(cdb.AsSpan(6), allocation);
        return cdb;
    }

    public static byte[] CompareAndWrite(ulong lba, byte blocks, byte flags = 0)
    {
        var cdb = new byte[16];
        cdb[0] = 0x89;
        cdb[1] = flags;
        BinaryPrimitives.WriteUInt64BigEndian(cdb.AsSpan(2), lba);
        cdb[13] = blocks;
        return cdb;
    }

    public static byte[] PersistentReserveIn(byte action, ushort allocation)
    {
        var cdb = new byte[10];
        cdb[0] = 0x5E;
        cdb[1] = action;
        BinaryPrimitives.WriteUInt16BigEndian(cdb.AsSpan(7), allocation);
        return cdb;
    }

    public static byte[] PersistentReserveOut(byte action, byte scopeAndType, uint length)
    {
        var cdb = new byte[10];
        cdb[0] = 0x5F;
        cdb[1] = action;
        cdb[2] = scopeAndType;
        BinaryPrimitives.WriteUInt32BigEndian(cdb.AsSpan(5), length);
        return cdb;
    }

    public static byte[] Reserve6() => [0x16, 0, 0, 0, 0, 0];

    public static byte[] Release6() => [0x17, 0, 0, 0, 0, 0];

    public static byte[] ExtendedCopy(uint length)
    {
        var cdb = new byte[16];
        cdb[0] = 0x83;
        BinaryPrimitives.WriteUInt32BigEndian(cdb.AsSpan(10), length);
        return cdb;
    }

    public static byte[] ReceiveCopyResults(byte action, byte listId)
    {
        var cdb = new byte[16];
        cdb[0] = 0x84;
        cdb[1] = action;
        cdb[2] = listId;
        BinaryPrimitives.WriteUInt32BigEndian(cdb.AsSpan(10), 1024);
        return cdb;
    }

    private static byte[] Transfer10(byte opcode, uint lba, ushort blocks, byte flags)
    {
        var cdb = new byte[10];
        cdb[0] = opcode;
        cdb[1] = flags;
        BinaryPrimitives.WriteUInt32BigEndian(cdb.AsSpan(2), lba);
        BinaryPrimitives.WriteUInt16BigEndian(cdb.AsSpan(7), blocks);
        return cdb;
    }

    private static byte[] Transfer16(byte opcode, ulong lba, uint blocks)
    {
        var cdb = new byte[16];
        cdb[0] = opcode;
        BinaryPrimitives.WriteUInt64BigEndian(cdb.AsSpan(2), lba);
        BinaryPrimitives.WriteUInt32BigEndian(cdb.AsSpan(10), blocks);
        return cdb;
    }
}
