using System.Buffers.Binary;

namespace Targetd.Tests.Qcow2.PowerLoss;

/// <summary>
/// The guest's view of the disk, sector by sector: which version of each sector it wrote, the disk as of each
/// acknowledged flush, and every later change, so that a crash state can be judged: each sector must hold what
/// it held at the last flush the state fully contains, or what a later write or discard could have left.
/// </summary>
internal sealed class GuestModel
{
    public const int Sector = 512;

    /// <summary>A discarded sector: it reads as zeroes or as the content beneath (the backing file's).</summary>
    private const int Discarded = -1;

    /// <summary>A sector whose write failed: it may hold anything the write left, old or new or a mix.</summary>
    private const int Unknown = -2;

    private readonly byte[] _base;
    private readonly int[] _current;
    private readonly List<int[]> _marks = [];
    private readonly List<(int AfterMark, int Version)>?[] _changes;
    private int _nextVersion = 1;

    /// <summary>A model over <paramref name="baseContent"/>, what the disk reads before any write.</summary>
    public GuestModel(byte[] baseContent)
    {
        _base = baseContent;
        _current = new int[baseContent.Length / Sector];
        _changes = new List<(int, int)>?[_current.Length];
    }

    public long Sectors => _current.Length;

    /// <summary>Records a write of <paramref name="count"/> sectors; returns the data to write.</summary>
    public byte[] Write(long sector, int count)
    {
        var data = new byte[count * Sector];
        for (int i = 0; i < count; i++)
        {
            int version = _nextVersion++;
            Fill(data.AsSpan(i * Sector, Sector), version, sector + i);
            Change(sector + i, version);
        }

        return data;
    }

    public void Discard(long sector, int count)
    {
        for (int i = 0; i < count; i++)
        {
            Change(sector + i, Discarded);
        }
    }

    /// <summary>Records that a write failed: its sectors may hold anything until they are written again.</summary>
    public void Failed(long sector, int count)
    {
        for (int i = 0; i < count; i++)
        {
            Change(sector + i, Unknown);
        }
    }

    /// <summary>Records an acknowledged flush; returns its mark.</summary>
    public int Mark()
    {
        _marks.Add((int[])_current.Clone());
        return _marks.Count - 1;
    }

    /// <summary>Null if <paramref name="disk"/> is a state allowed once flush <paramref name="mark"/> is durable; otherwise what is wrong.</summary>
    public string? Verify(ReadOnlySpan<byte> disk, int mark)
    {
        Span<byte> expected = stackalloc byte[Sector];
        int wrong = 0;
        string? first = null;
        for (int s = 0; s < _current.Length; s++)
        {
            var actual = disk.Slice(s * Sector, Sector);
            int durable = mark < 0 ? 0 : _marks[mark][s];
            if (Holds(actual, durable, s, expected) || HoldsLaterChange(actual, s, mark, expected))
            {
                continue;
            }

            wrong++;
            first ??= $"sector {s} holds neither version {durable} (durable at flush {mark}) nor a later one (it holds version {VersionIn(actual)})";
        }

        return first is null ? null : $"{wrong} sector(s) wrong; first: {first}";
    }

    private static void Fill(Span<byte> sector, int version, long index)
    {
        for (int i = 0; i < Sector; i += 8)
        {
            ulong value = ((ulong)(uint)version << 32 | (ulong)index) * 0x9E3779B97F4A7C15UL ^ (ulong)i;
            BinaryPrimitives.WriteUInt64LittleEndian(sector[i..], value);
        }

        BinaryPrimitives.WriteInt32LittleEndian(sector, version);
    }

    private static int VersionIn(ReadOnlySpan<byte> sector) =>
        sector.IndexOfAnyExcept((byte)0) < 0 ? 0 : BinaryPrimitives.ReadInt32LittleEndian(sector);

    private bool Holds(ReadOnlySpan<byte> actual, int version, int sector, Span<byte> scratch)
    {
        var beneath = _base.AsSpan(sector * Sector, Sector);
        if (version == 0)
        {
            return actual.SequenceEqual(beneath);
        }

        if (version == Unknown)
        {
            return true;
        }

        if (version == Discarded)
        {
            return actual.SequenceEqual(beneath) || actual.IndexOfAnyExcept((byte)0) < 0;
        }

        Fill(scratch, version, sector);
        return actual.SequenceEqual(scratch);
    }

    private bool HoldsLaterChange(ReadOnlySpan<byte> actual, int sector, int mark, Span<byte> scratch)
    {
        foreach (var (afterMark, version) in _changes[sector] ?? [])
        {
            if (afterMark > mark && Holds(actual, version, sector, scratch))
            {
                return true;
            }
        }

        return false;
    }

    private void Change(long sector, int version)
    {
        _current[sector] = version;
        (_changes[sector] ??= []).Add((_marks.Count, version));
    }
}
