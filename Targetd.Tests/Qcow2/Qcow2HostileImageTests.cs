using System.Buffers.Binary;
using System.Diagnostics;
using Targetd.Qcow2;
using Targetd.Qcow2.Codecs;
using Targetd.Tests.Support;
using ZstdSharp;
using ZstdSharp.Unsafe;

namespace Targetd.Tests.Qcow2;

/// <summary>
/// Every count, size and offset an image states is checked against QEMU's limits and the file before anything is
/// allocated or walked: each damaged field of a small qemu-img-made image is refused with a message naming it.
/// </summary>
public sealed class Qcow2HostileImageTests
{
    private DirectoryInfo _directory = null!;
    private string _path = null!;

    [SetUp]
    public void SetUp()
    {
        ExternalTool.Require("qemu-img");
        _directory = Directory.CreateTempSubdirectory("targetd-hostile-");
        _path = Path.Combine(_directory.FullName, "image.qcow2");
    }

    [TearDown]
    public void TearDown() => _directory.Delete(recursive: true);

    private async Task MakeAsync(bool snapshot = false, bool bitmap = false)
    {
        await ExternalTool.RunOkAsync("qemu-img", "create", "-f", "qcow2", _path, "8M");
        await ExternalTool.RunOkAsync("qemu-io", "-f", "qcow2", "-c", "write -P 0x5a 0 192k", _path);
        if (snapshot)
        {
            await ExternalTool.RunOkAsync("qemu-img", "snapshot", "-c", "s1", _path);
        }

        if (bitmap)
        {
            await ExternalTool.RunOkAsync("qemu-img", "bitmap", "--add", _path, "b0");
        }
    }

    private byte[] Read(long offset, int length)
    {
        using var stream = File.OpenRead(_path);
        var bytes = new byte[length];
        stream.Position = offset;
        stream.ReadExactly(bytes);
        return bytes;
    }

    private void Write(long offset, ReadOnlySpan<byte> bytes)
    {
        using var stream = new FileStream(_path, FileMode.Open, FileAccess.Write);
        stream.Position = offset;
        stream.Write(bytes);
    }

    private void Poke32(long offset, uint value)
    {
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, value);
        Write(offset, bytes);
    }

    private void Poke64(long offset, ulong value)
    {
        Span<byte> bytes = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(bytes, value);
        Write(offset, bytes);
    }

    private long HeaderField64(int offset) => (long)BinaryPrimitives.ReadUInt64BigEndian(Read(offset, 8));

    /// <summary>Where the data of the header extension <paramref name="type"/> starts in the file.</summary>
    private long ExtensionData(uint type)
    {
        var cluster0 = Read(0, 4096);
        int position = (int)BinaryPrimitives.ReadUInt32BigEndian(cluster0.AsSpan(100));
        while (BinaryPrimitives.ReadUInt32BigEndian(cluster0.AsSpan(position)) is uint found and not 0)
        {
            if (found == type)
            {
                return position + 8;
            }

            position += 8 + (((int)BinaryPrimitives.ReadUInt32BigEndian(cluster0.AsSpan(position + 4)) + 7) & ~7);
        }

        throw new InvalidOperationException($"no extension 0x{type:x8}");
    }

    private long BitmapDirectory => (long)BinaryPrimitives.ReadUInt64BigEndian(Read(ExtensionData(0x23852875) + 16, 8));

    private async Task ShouldRefuseAsync(string message, bool readOnly = true)
    {
        var clock = Stopwatch.StartNew();
        var open = async () => await Qcow2Image.OpenAsync(_path, new Qcow2OpenOptions { ReadOnly = readOnly });
        await open.Should().ThrowAsync<Qcow2FormatException>().WithMessage(message);
        clock.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(2));
    }

    [Test]
    public async Task A_snapshot_l1_size_of_0x7fffffff_is_refused_at_open()
    {
        await MakeAsync(snapshot: true);
        Poke32(HeaderField64(64) + 8, 0x7fffffff);

        await ShouldRefuseAsync("Snapshot 0: l1_size 2147483647 is beyond the limit of 4194304 entries.");
        await ShouldRefuseAsync("Snapshot 0: l1_size 2147483647*", readOnly: false);
    }

    [Test]
    public async Task A_snapshot_l1_table_past_the_end_or_unaligned_is_refused()
    {
        await MakeAsync(snapshot: true);
        long entry = HeaderField64(64);
        Poke32(entry + 8, 4 * 1024 * 1024);
        await ShouldRefuseAsync("Snapshot 0: l1_table_offset * lies past the end of the image file.");

        Poke32(entry + 8, 1);
        Poke64(entry, (ulong)HeaderField64(40) + 8);
        await ShouldRefuseAsync("Snapshot 0: l1_table_offset *is not cluster aligned*");
    }

    [Test]
    public async Task A_snapshot_extra_data_size_beyond_1024_is_refused()
    {
        await MakeAsync(snapshot: true);
        Poke32(HeaderField64(64) + 36, 0xffffffff);

        await ShouldRefuseAsync("Snapshot 0: extra_data_size 4294967295 is beyond the limit of 1024 bytes.");
    }

    [Test]
    public async Task Header_counts_and_tables_beyond_the_limits_or_the_file_are_refused()
    {
        await MakeAsync(snapshot: true);
        Poke32(60, 65537);
        await ShouldRefuseAsync("nb_snapshots 65537 is beyond the limit of 65536.");

        Poke32(60, 1);
        Poke64(64, 1UL << 40);
        await ShouldRefuseAsync("snapshots_offset 0x10000000000 of 1 snapshot(s) lies outside the image file.");

        Poke64(64, 0);
        Poke32(60, 0);
        Poke32(56, 0xffffffff);
        await ShouldRefuseAsync("refcount_table_clusters 2147483647 is beyond the limit of 8388608 bytes of refcount table.");

        Poke32(56, 100);
        await ShouldRefuseAsync("The refcount table (refcount_table_offset *, refcount_table_clusters 100) lies past the end of the image file.");

        Poke32(56, 1);
        Poke32(36, 1 << 23);
        await ShouldRefuseAsync("l1_size 8388608 is beyond the limit of 4194304 entries.");
    }

    [Test]
    public async Task Snapshots_whose_L1_tables_together_exceed_the_file_are_refused()
    {
        await MakeAsync(snapshot: true);
        long table = HeaderField64(64);
        var fixedPart = Read(table, 40);
        int length = (40 + (int)BinaryPrimitives.ReadUInt32BigEndian(fixedPart.AsSpan(36)) + BinaryPrimitives.ReadUInt16BigEndian(fixedPart.AsSpan(12)) + BinaryPrimitives.ReadUInt16BigEndian(fixedPart.AsSpan(14)) + 7) & ~7;
        var entry = new byte[length];
        Read(table, Math.Min(length, (int)(new FileInfo(_path).Length - table))).CopyTo(entry, 0);
        BinaryPrimitives.WriteUInt32BigEndian(entry.AsSpan(8), 1 << 20); // an 8 MiB L1 table, inside a 9 MiB file
        using (var stream = new FileStream(_path, FileMode.Open, FileAccess.Write))
        {
            stream.SetLength(9L << 20);
            for (int i = 0; i < 2; i++)
            {
                stream.Position = table + (i * length);
                stream.Write(entry.AsSpan(0, length));
            }
        }

        Poke32(60, 2);
        Poke64(HeaderField64(64), 0);

        await ShouldRefuseAsync("Snapshot 1: the snapshots' L1 tables together * are larger than the image file.");
    }

    [Test]
    public async Task Bitmap_fields_beyond_qemus_limits_are_refused()
    {
        await MakeAsync(bitmap: true);
        long extension = ExtensionData(0x23852875);
        long directory = BitmapDirectory;

        Write(directory + 17, [0]);
        await ShouldRefuseAsync("Bitmap 0: granularity_bits 0 is not between 9 and 31.");
        Write(directory + 17, [32]);
        await ShouldRefuseAsync("Bitmap 0: granularity_bits 32*");
        Write(directory + 17, [16]);

        Poke32(directory + 8, 0x8000001);
        await ShouldRefuseAsync("Bitmap 0: bitmap_table_size 134217729 is beyond the limit.");
        Poke32(directory + 8, 1);

        Poke32(extension, 0);
        await ShouldRefuseAsync("Bitmaps extension: nb_bitmaps 0 is not between 1 and 65535.");
        Poke32(extension, 70000);
        await ShouldRefuseAsync("Bitmaps extension: nb_bitmaps 70000*");
        Poke32(extension, 2);
        await ShouldRefuseAsync("Bitmaps extension: bitmap_directory_size * does not fit 2 bitmap(s)*");
        Poke32(extension, 1);

        Poke64(extension + 8, 1UL << 40);
        await ShouldRefuseAsync("Bitmaps extension: bitmap_directory_size 1099511627776 does not fit*");
        Poke64(extension + 8, 1024);
        Poke64(extension + 16, 1UL << 40);
        await ShouldRefuseAsync("Bitmaps extension: bitmap_directory_offset 0x10000000000 *");
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task A_refcount_table_whose_last_entry_is_set_is_checked_in_bounded_time()
    {
        await MakeAsync();
        long table = HeaderField64(48);
        long clusters = BinaryPrimitives.ReadUInt32BigEndian(Read(56, 4));
        Poke64(table + (clusters * 65536) - 8, (ulong)HeaderField64(40));

        var clock = Stopwatch.StartNew();
        await using (var image = await Qcow2Image.OpenAsync(_path, new Qcow2OpenOptions { ReadOnly = true }))
        {
            var check = await image.CheckAsync();
            check.Corruptions.Should().BeGreaterThan(0);
        }

        var open = async () => await Qcow2Image.OpenAsync(_path);
        await open.Should().ThrowAsync<Qcow2FormatException>().WithMessage("*metadata error*");
        clock.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(5));
    }

    private const int SharedSnapshots = 1024;
    private const int SharedTables = 1024;

    /// <summary>
    /// Adds <see cref="SharedSnapshots"/> snapshots to a qemu-img-made image, each with its own L1 table naming the same
    /// <see cref="SharedTables"/> (empty) L2 tables, none of them counted in the refcounts; returns where the first L2
    /// table and the first L1 table lie.
    /// </summary>
    private async Task<(long L2Tables, long L1Tables)> MakeSharedSnapshotsAsync()
    {
        const int Cluster = 65536;
        await MakeAsync();
        long l2Tables = (new FileInfo(_path).Length + Cluster - 1) / Cluster * Cluster;
        long l1Tables = l2Tables + ((long)SharedTables * Cluster);
        long snapshotTable = l1Tables + ((long)SharedSnapshots * Cluster); // L1 tables are cluster aligned
        var l1 = new byte[SharedTables * 8];
        for (int i = 0; i < SharedTables; i++)
        {
            BinaryPrimitives.WriteUInt64BigEndian(l1.AsSpan(i * 8), (ulong)(l2Tables + ((long)i * Cluster)));
        }

        using (var stream = new FileStream(_path, FileMode.Open, FileAccess.Write))
        {
            stream.SetLength(snapshotTable);
            for (int s = 0; s < SharedSnapshots; s++)
            {
                stream.Position = l1Tables + ((long)s * Cluster);
                stream.Write(l1);
            }

            stream.Position = snapshotTable;
            var entry = new byte[64];
            for (int s = 0; s < SharedSnapshots; s++)
            {
                entry.AsSpan().Clear();
                BinaryPrimitives.WriteUInt64BigEndian(entry, (ulong)(l1Tables + ((long)s * Cluster)));
                BinaryPrimitives.WriteUInt32BigEndian(entry.AsSpan(8), SharedTables);
                BinaryPrimitives.WriteUInt16BigEndian(entry.AsSpan(12), 4);
                BinaryPrimitives.WriteUInt16BigEndian(entry.AsSpan(14), 4);
                BinaryPrimitives.WriteUInt32BigEndian(entry.AsSpan(36), 16);
                BinaryPrimitives.WriteUInt64BigEndian(entry.AsSpan(48), 8 << 20); // extra data: the disk size
                System.Text.Encoding.ASCII.GetBytes($"{s:D4}{s:X4}").CopyTo(entry.AsSpan(56));
                stream.Write(entry);
            }
        }

        Poke32(60, SharedSnapshots);
        Poke64(64, (ulong)snapshotTable);
        return (l2Tables / Cluster, l1Tables / Cluster);
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task Snapshots_sharing_l2_tables_are_checked_once_per_table_and_counted_once_per_snapshot()
    {
        // Walking every table once per snapshot is 2^33 entries; walking each once and counting it 1,024 times is 2^23.
        var (l2Tables, l1Tables) = await MakeSharedSnapshotsAsync();

        await using var image = await Qcow2Image.OpenAsync(_path, new Qcow2OpenOptions { ReadOnly = true });
        var check = await image.CheckAsync(cancellationToken: TestContext.CurrentContext.CancellationToken);

        check.Messages.Should().Contain($"ERROR cluster {l2Tables} refcount=0 reference={SharedSnapshots}")
            .And.Contain($"ERROR cluster {l2Tables + SharedTables - 1} refcount=0 reference={SharedSnapshots}")
            .And.Contain($"ERROR cluster {l1Tables} refcount=0 reference=1");
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task A_read_write_open_whose_check_outlasts_its_time_limit_is_refused_saying_so()
    {
        await MakeSharedSnapshotsAsync();

        // No time at all, so that the refusal does not depend on when a timer thread runs on a loaded machine.
        var hurried = async () => await Qcow2Image.OpenAsync(_path, new Qcow2OpenOptions { CheckTimeLimit = TimeSpan.Zero });
        var patient = async () => await Qcow2Image.OpenAsync(_path);

        await hurried.Should().ThrowAsync<Qcow2FormatException>().WithMessage("*checking its metadata took longer than 0 s, so it is not opened for writing*");
        await patient.Should().ThrowAsync<Qcow2FormatException>().WithMessage("*metadata error*");
    }

    [Test]
    public async Task A_compressed_cluster_past_the_end_of_the_file_is_a_read_error()
    {
        await ExternalTool.RunOkAsync("qemu-img", "create", "-f", "qcow2", _path, "8M");
        await using (var image = await Qcow2Image.OpenAsync(_path))
        {
            await image.WriteCompressedAsync(0, new byte[65536]);
        }

        long l2 = (long)(BinaryPrimitives.ReadUInt64BigEndian(Read(HeaderField64(40), 8)) & 0x00fffffffffffe00);
        ulong entry = BinaryPrimitives.ReadUInt64BigEndian(Read(l2, 8));
        Poke64(l2, (entry & ~((1UL << 54) - 1)) | (1UL << 40));

        await using var damaged = await Qcow2Image.OpenAsync(_path, new Qcow2OpenOptions { ReadOnly = true });
        var read = async () => await damaged.ReadAsync(0, new byte[512]);
        await read.Should().ThrowAsync<InvalidDataException>().WithMessage("A compressed cluster descriptor (host offset 0x10000000000,*lies past the end of the image file.");
    }

    [Test]
    public void A_zstd_frame_asking_for_a_window_larger_than_the_cluster_is_refused()
    {
        var data = new byte[65536];
        new Random(7).NextBytes(data.AsSpan(0, 4096));
        using var output = new MemoryStream();
        using (var compressor = new CompressionStream(output, 3, leaveOpen: true))
        {
            compressor.SetParameter(ZSTD_cParameter.ZSTD_c_windowLog, 27);
            compressor.Write(data);
        }

        var decode = () => ClusterCompression.Decompress(ClusterCompression.Zstd, output.ToArray(), new byte[65536]);

        decode.Should().Throw<InvalidDataException>().WithMessage("A compressed cluster is damaged.");
        ClusterCompression.Decompress(ClusterCompression.Zstd, ClusterCompression.Compress(ClusterCompression.Zstd, data)!, new byte[65536]);
    }
}
