using System.Buffers.Binary;

namespace Targetd.Iscsi.Scsi.Cdbs;

/// <summary>
/// The fields a direct-access command carries at the places its CDB size gives them (SBC-3 §4.2.2, SPC-4 §4.2.5):
/// LOGICAL BLOCK ADDRESS, TRANSFER LENGTH (or NUMBER OF LOGICAL BLOCKS), the protection/DPO/FUA byte, GROUP NUMBER
/// and CONTROL, for READ, WRITE, VERIFY, WRITE AND VERIFY, WRITE SAME, SYNCHRONIZE CACHE, COMPARE AND WRITE, ORWRITE
/// and WRITE ATOMIC. The size comes from the opcode's group code (bits 7–5).
/// <code>
/// size  byte 1          LBA         length        group  control
///  6    LBA 20-16       1-3 (21b)   4             -      5
///  10   flags           2-5         7-8           6      9
///  12   flags           2-5         6-9           10     11
///  16   flags           2-9         10-13         14     15
/// </code>
/// WRITE ATOMIC (16) keeps its TRANSFER LENGTH in bytes 12–13 behind the ATOMIC BOUNDARY (SBC-4 §5.48), and COMPARE AND
/// WRITE its NUMBER OF LOGICAL BLOCKS in byte 13 (SBC-3 §5.2); both are read from their own places.
/// </summary>
internal readonly ref struct BlockCommandCdb
{
    private readonly ReadOnlySpan<byte> _cdb;

    /// <exception cref="ArgumentException">The CDB is shorter than its group code requires, or of a group without this layout.</exception>
    public BlockCommandCdb(ReadOnlySpan<byte> cdb)
    {
        int size = cdb.IsEmpty ? 0 : SizeOf(cdb[0]);
        if (size == 0 || cdb.Length < size)
        {
            throw new ArgumentException("Not a direct-access command CDB of a 6, 10, 12 or 16-byte group.", nameof(cdb));
        }

        _cdb = cdb;
        Size = size;
    }

    /// <summary>The CDB size the group code gives: 6, 10, 12 or 16.</summary>
    public int Size { get; }

    public byte Opcode => _cdb[0];

    /// <summary>The LOGICAL BLOCK ADDRESS; one beyond <see cref="long.MaxValue"/> reads as <see cref="long.MaxValue"/> (out of range all the same).</summary>
    public long Lba => Size switch
    {
        6 => ((_cdb[1] & 0x1F) << 16) | (_cdb[2] << 8) | _cdb[3],
        16 => (long)Math.Min(BinaryPrimitives.ReadUInt64BigEndian(_cdb[2..]), long.MaxValue),
        _ => BinaryPrimitives.ReadUInt32BigEndian(_cdb[2..]),
    };

    /// <summary>The TRANSFER LENGTH (NUMBER OF LOGICAL BLOCKS) field as written.</summary>
    public long TransferLength => Size switch
    {
        6 => _cdb[4],
        10 => BinaryPrimitives.ReadUInt16BigEndian(_cdb[7..]),
        12 => BinaryPrimitives.ReadUInt32BigEndian(_cdb[6..]),
        _ => BinaryPrimitives.ReadUInt32BigEndian(_cdb[10..]),
    };

    /// <summary>
    /// The blocks a READ or WRITE transfers: for the 6-byte commands "a TRANSFER LENGTH field set to zero specifies
    /// that 256 logical blocks shall be" transferred (SBC-3 §5.8, §5.41); otherwise <see cref="TransferLength"/>.
    /// </summary>
    public long Blocks => Size == 6 && _cdb[4] == 0 ? 256 : TransferLength;

    /// <summary>Byte 1 of a 10, 12 or 16-byte CDB (protection, DPO, FUA, BYTCHK); 0 for a 6-byte one, which has none.</summary>
    public byte Flags => Size == 6 ? (byte)0 : _cdb[1];

    /// <summary>RDPROTECT / WRPROTECT / VRPROTECT (byte 1, bits 7–5).</summary>
    public int Protection => Flags >> 5;

    /// <summary>DPO, disable page out (byte 1, bit 4).</summary>
    public bool DisablePageOut => (Flags & 0x10) != 0;

    /// <summary>FUA, force unit access (byte 1, bit 3).</summary>
    public bool ForceUnitAccess => (Flags & 0x08) != 0;

    /// <summary>BYTCHK of VERIFY and WRITE AND VERIFY (byte 1, bits 2–1).</summary>
    public int ByteCheck => (Flags >> 1) & 0x03;

    /// <summary>GROUP NUMBER (bits 4–0); 0 for a 6-byte CDB.</summary>
    public int GroupNumber => Size switch
    {
        6 => 0,
        10 => _cdb[6] & 0x1F,
        12 => _cdb[10] & 0x1F,
        _ => _cdb[14] & 0x1F,
    };

    /// <summary>CONTROL, the last byte.</summary>
    public byte Control => _cdb[Size - 1];

    /// <summary>The byte where TRANSFER LENGTH starts, for sense that points at it.</summary>
    public int TransferLengthByte => TransferLengthByteOf(_cdb[0]);

    /// <summary>LBA, blocks (<see cref="Blocks"/>) and flags, for <c>var (lba, blocks, flags) = new BlockCommandCdb(cdb)</c>.</summary>
    public void Deconstruct(out long lba, out long blocks, out byte flags)
    {
        lba = Lba;
        blocks = Blocks;
        flags = Flags;
    }

    /// <summary>The CDB size of an opcode's group (SPC-4 §4.2.5.1, table 6), or 0 for a group without this layout.</summary>
    public static int SizeOf(byte opcode) => (opcode >> 5) switch
    {
        0 => 6,
        1 or 2 => 10,
        4 => 16,
        5 => 12,
        _ => 0,
    };

    /// <summary>The byte where TRANSFER LENGTH starts in a CDB of the opcode's group.</summary>
    public static int TransferLengthByteOf(byte opcode) => SizeOf(opcode) switch
    {
        6 => 4,
        12 => 6,
        16 => 10,
        _ => 7,
    };
}
