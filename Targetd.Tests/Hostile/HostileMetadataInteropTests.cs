using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using Newtonsoft.Json.Linq;
using Targetd.Iscsi.Scsi;
using Targetd.Tests.Iscsi;
using Targetd.Tests.Support;
using ZstdSharp;
using ZstdSharp.Unsafe;

namespace Targetd.Tests.Hostile;

/// <summary>
/// Disks whose metadata lies, attached to the real <c>qcow2target serve</c>: a refcount table whose last entry makes
/// the consistency check cover 2^44 clusters, bitmap fields past QEMU's limits, a compressed cluster past the end of
/// the file and a zstd frame that asks for a 128 MiB window. Each is refused at ATTACH (naming what is wrong) or
/// fails the one read that meets it, promptly, while the daemon keeps serving a good disk.
/// </summary>
[Category("Interop")]
[Category("Hostile")]
[NonParallelizable]
public sealed class HostileMetadataInteropTests
{
    private const string Target = "iqn.2024-01.org.example:metadata";
    private const string Initiator = "iqn.2024-01.org.example:reader";
    private DirectoryInfo _folder = null!;
    private string _disks = null!;
    private Qcow2TargetDaemon? _daemon;

    [SetUp]
    public async Task SetUp()
    {
        ExternalTool.Require("qemu-img");
        ExternalTool.Require("qemu-io");
        _folder = Directory.CreateTempSubdirectory("targetd-hostile-metadata-");
        _disks = Directory.CreateDirectory(Path.Combine(_folder.FullName, "disks")).FullName;
        await ExternalTool.RunOkAsync("qemu-img", "create", "-f", "qcow2", Disk("good.qcow2"), "4M");
        await ExternalTool.RunOkAsync("qemu-io", "-f", "qcow2", "-c", "write -P 0x6b 0 64k", Disk("good.qcow2"));
    }

    [TearDown]
    public async Task TearDown()
    {
        if (_daemon is not null)
        {
            await _daemon.DisposeAsync();
            _daemon = null;
        }

        _folder.Delete(recursive: true);
    }

    private string Disk(string name) => Path.Combine(_disks, name);

    private async Task StartWithGoodDiskAsync()
    {
        _daemon = await Qcow2TargetDaemon.StartAsync(_folder.FullName, _disks);
        await _daemon.OkAsync("ADDTARGET", new { target_name = Target });
        await _daemon.OkAsync("ATTACH", new { target_name = Target, disk_path = "good.qcow2" });
    }

    /// <summary>ATTACHes a disk that must be refused within 5 s; returns the error.</summary>
    private async Task<string> RefusedAttachAsync(string disk)
    {
        var clock = Stopwatch.StartNew();
        var reply = await _daemon!.RequestAsync("ATTACH", new { target_name = Target, disk_path = disk });
        clock.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(5), disk);
        return (string?)reply["error"] ?? throw new InvalidOperationException($"{disk} was attached: {reply}");
    }

    /// <summary>The good disk still reads its pattern through a new session, and LIST shows it alone.</summary>
    private async Task GoodDiskIsServedAsync()
    {
        await using var initiator = await TestInitiator.ConnectAsync(new IPEndPoint(IPAddress.Loopback, _daemon!.Port));
        (await initiator.LoginAsync(Target, Initiator)).Should().Be(0);
        await initiator.ClearUnitAttentionsAsync(0);
        var read = await initiator.ExecuteAsync(0, Cdb.Read10(0, 8), 4096, read: true);
        read.Status.Should().Be(ScsiStatus.Good);
        read.Data.AsSpan().ContainsAnyExcept((byte)0x6b).Should().BeFalse();
    }

    private static long Field64(string path, long offset)
    {
        using var stream = File.OpenRead(path);
        var bytes = new byte[8];
        stream.Position = offset;
        stream.ReadExactly(bytes);
        return (long)BinaryPrimitives.ReadUInt64BigEndian(bytes);
    }

    private static void Poke(string path, long offset, ReadOnlySpan<byte> bytes)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Write);
        stream.Position = offset;
        stream.Write(bytes);
    }

    private static void Poke64(string path, long offset, ulong value)
    {
        Span<byte> bytes = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(bytes, value);
        Poke(path, offset, bytes);
    }

    [Test]
    [CancelAfter(120_000)]
    public async Task A_refcount_table_claiming_2_pow_44_clusters_is_refused_at_attach_within_seconds()
    {
        string disk = Disk("refcounts.qcow2");
        File.Copy(Disk("good.qcow2"), disk);
        long table = Field64(disk, 48);
        using (var stream = File.OpenRead(disk))
        {
            var clusters = new byte[4];
            stream.Position = 56;
            stream.ReadExactly(clusters);
            Poke64(disk, table + (BinaryPrimitives.ReadUInt32BigEndian(clusters) * 65536L) - 8, (ulong)Field64(disk, 40));
        }

        await StartWithGoodDiskAsync();

        (await RefusedAttachAsync("refcounts.qcow2")).Should().Contain("metadata error");
        await GoodDiskIsServedAsync();
    }

    [Test]
    [CancelAfter(120_000)]
    public async Task Bitmap_fields_beyond_qemus_limits_are_refused_at_attach_naming_the_field()
    {
        string disk = Disk("bitmap.qcow2");
        File.Copy(Disk("good.qcow2"), disk);
        await ExternalTool.RunOkAsync("qemu-img", "bitmap", "--add", disk, "b0");
        long directory = BitmapDirectory(disk);
        Poke(disk, directory + 17, [0]);
        string counts = Disk("bitmap-table.qcow2");
        File.Copy(Disk("good.qcow2"), counts);
        await ExternalTool.RunOkAsync("qemu-img", "bitmap", "--add", counts, "b0");
        Poke(counts, BitmapDirectory(counts) + 8, [0x08, 0x00, 0x00, 0x01]);

        await StartWithGoodDiskAsync();

        (await RefusedAttachAsync("bitmap.qcow2")).Should().Contain("granularity_bits 0 is not between 9 and 31");
        (await RefusedAttachAsync("bitmap-table.qcow2")).Should().Contain("bitmap_table_size 134217729 is beyond the limit");
        await GoodDiskIsServedAsync();
    }

    [Test]
    [CancelAfter(120_000)]
    public async Task A_compressed_cluster_past_the_end_of_the_file_is_refused_at_attach()
    {
        string disk = Disk("compressed.qcow2");
        await ExternalTool.RunOkAsync("qemu-img", "create", "-f", "qcow2", disk, "4M");
        await ExternalTool.RunOkAsync("qemu-io", "-f", "qcow2", "-c", "write -c -P 0x11 0 64k", disk);
        long l2 = Field64(disk, Field64(disk, 40)) & 0x00fffffffffffe00;
        ulong entry = (ulong)Field64(disk, l2);
        Poke64(disk, l2, (entry & ~((1UL << 54) - 1)) | (1UL << 40));

        await StartWithGoodDiskAsync();

        (await RefusedAttachAsync("compressed.qcow2")).Should().Contain("compressed data at offset 0x10000000000 lies past the end of the image file");
        await GoodDiskIsServedAsync();
    }

    [Test]
    [CancelAfter(120_000)]
    public async Task A_zstd_cluster_asking_for_a_128_mib_window_fails_its_read_and_nothing_else()
    {
        string disk = Disk("zstd.qcow2");
        await ExternalTool.RunOkAsync("qemu-img", "create", "-f", "qcow2", "-o", "compression_type=zstd", disk, "4M");
        await ExternalTool.RunOkAsync("qemu-io", "-f", "qcow2", "-c", "write -c -P 0x11 0 64k", "-c", "write -P 0x22 64k 64k", disk);
        long l2 = Field64(disk, Field64(disk, 40)) & 0x00fffffffffffe00;
        long hostOffset = Field64(disk, l2) & ((1L << 54) - 1);
        using (var frame = new MemoryStream())
        {
            using (var compressor = new CompressionStream(frame, 3, leaveOpen: true))
            {
                compressor.SetParameter(ZSTD_cParameter.ZSTD_c_windowLog, 27);
                compressor.Write(Enumerable.Repeat((byte)0x11, 65536).ToArray());
            }

            frame.Length.Should().BeLessThan(512 - (hostOffset & 511), "the frame fits the descriptor's one sector");
            Poke(disk, hostOffset, frame.ToArray());
        }

        await StartWithGoodDiskAsync();
        await _daemon!.OkAsync("ATTACH", new { target_name = Target, disk_path = "zstd.qcow2" });

        await using var initiator = await TestInitiator.ConnectAsync(new IPEndPoint(IPAddress.Loopback, _daemon.Port));
        (await initiator.LoginAsync(Target, Initiator)).Should().Be(0);
        await initiator.ClearUnitAttentionsAsync(1);
        var damaged = await initiator.ExecuteAsync(1, Cdb.Read10(0, 128), 65536, read: true);
        var next = await initiator.ExecuteAsync(1, Cdb.Read10(128, 128), 65536, read: true);

        damaged.Status.Should().Be(ScsiStatus.CheckCondition);
        damaged.SenseKey.Should().Be(0x03, "MEDIUM ERROR");
        next.Status.Should().Be(ScsiStatus.Good);
        next.Data.AsSpan().ContainsAnyExcept((byte)0x22).Should().BeFalse();
        await GoodDiskIsServedAsync();
    }

    /// <summary>Where the first bitmap directory entry lies (header extension 0x23852875, its directory offset).</summary>
    private static long BitmapDirectory(string path)
    {
        var cluster0 = new byte[4096];
        using (var stream = File.OpenRead(path))
        {
            stream.ReadExactly(cluster0);
        }

        int position = (int)BinaryPrimitives.ReadUInt32BigEndian(cluster0.AsSpan(100));
        while (BinaryPrimitives.ReadUInt32BigEndian(cluster0.AsSpan(position)) is uint type and not 0)
        {
            if (type == 0x23852875)
            {
                return (long)BinaryPrimitives.ReadUInt64BigEndian(cluster0.AsSpan(position + 8 + 16));
            }

            position += 8 + (((int)BinaryPrimitives.ReadUInt32BigEndian(cluster0.AsSpan(position + 4)) + 7) & ~7);
        }

        throw new InvalidOperationException("no bitmaps extension");
    }
}
