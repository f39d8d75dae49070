using System.Buffers.Binary;
using Targetd.Qcow2;

namespace Targetd.Tests.Qcow2;

/// <summary>Damaged or hostile images are refused or opened read-only with a clear error, never a crash or hang.</summary>
public sealed class Qcow2BadImageTests
{
    private DirectoryInfo _directory = null!;
    private string _path = null!;

    [SetUp]
    public async Task SetUp()
    {
        _directory = Directory.CreateTempSubdirectory("targetd-qcow2-bad-");
        _path = Path.Combine(_directory.FullName, "image.qcow2");
        await using var image = await Qcow2Image.CreateAsync(_path, new Qcow2CreateOptions { Size = 8L << 20 });
        await image.WriteAsync(0, Enumerable.Repeat((byte)0x5A, 3 * 65536).ToArray());
    }

    [TearDown]
    public void TearDown() => _directory.Delete(recursive: true);

    private void Poke(long offset, Action<Span<byte>> change)
    {
        using var stream = new FileStream(_path, FileMode.Open, FileAccess.ReadWrite);
        var bytes = new byte[16];
        stream.Position = offset;
        stream.ReadExactly(bytes);
        change(bytes);
        stream.Position = offset;
        stream.Write(bytes);
    }

    private long FirstL2EntryOffset()
    {
        using var stream = File.OpenRead(_path);
        var header = new byte[112];
        stream.ReadExactly(header);
        long l1 = (long)BinaryPrimitives.ReadUInt64BigEndian(header.AsSpan(40));
        var entry = new byte[8];
        stream.Position = l1;
        stream.ReadExactly(entry);
        return (long)(BinaryPrimitives.ReadUInt64BigEndian(entry) & 0x00fffffffffffe00);
    }

    private Task<Qcow2Image> OpenAsync(bool readOnly = false) =>
        Qcow2Image.OpenAsync(_path, new Qcow2OpenOptions { ReadOnly = readOnly });

    [Test]
    public async Task Refcount_zero_on_a_used_cluster_refuses_writing_but_reads_read_only()
    {
        long dataCluster = FirstL2EntryOffset() / 65536 + 1;
        await using (var image = await OpenAsync())
        {
            await image.Refcounts.SetAsync(dataCluster, 0, CancellationToken.None);
            await image.FlushAsync();
        }

        var open = async () => await OpenAsync();
        await open.Should().ThrowAsync<Qcow2FormatException>().WithMessage("*metadata error*read-only*check -r all*");

        await using var readOnly = await OpenAsync(readOnly: true);
        var back = new byte[65536];
        await readOnly.ReadAsync(0, back);
        back.Should().OnlyContain(b => b == 0x5A);
        (await readOnly.CheckAsync()).ExitCode.Should().Be(2);
    }

    [Test]
    public async Task Check_repair_all_fixes_a_refcount_of_zero_on_a_used_cluster()
    {
        long dataCluster = FirstL2EntryOffset() / 65536 + 1;
        await using (var image = await OpenAsync())
        {
            await image.Refcounts.SetAsync(dataCluster, 0, CancellationToken.None);
        }

        await using (var repair = await Qcow2Image.OpenAsync(_path, new Qcow2OpenOptions { VerifyBeforeWriting = false }))
        {
            var result = await repair.CheckAsync(Qcow2RepairMode.All);
            result.CorruptionsFixed.Should().BeGreaterThan(0);
        }

        await using var reopened = await OpenAsync();
        (await reopened.CheckAsync()).ExitCode.Should().Be(0);
    }

    [Test]
    public async Task Reserved_bits_in_an_L2_entry_are_reported_and_block_writing()
    {
        Poke(FirstL2EntryOffset(), b => b[7] |= 0x02);

        var open = async () => await OpenAsync();

        await open.Should().ThrowAsync<Qcow2FormatException>().WithMessage("*reserved bits*");
    }

    [Test]
    public async Task A_truncated_image_is_refused()
    {
        using (var stream = new FileStream(_path, FileMode.Open, FileAccess.Write))
        {
            stream.SetLength(1000);
        }

        var open = async () => await OpenAsync(readOnly: true);

        await open.Should().ThrowAsync<Qcow2FormatException>().WithMessage("*past the end*");
    }

    [Test]
    public async Task A_huge_L1_size_is_refused_without_allocating_it()
    {
        Poke(36, b => BinaryPrimitives.WriteUInt32BigEndian(b, 0x7fffffff));

        var open = async () => await OpenAsync(readOnly: true);

        await open.Should().ThrowAsync<Qcow2FormatException>().WithMessage("l1_size 2147483647 is beyond the limit*");
    }

    [Test]
    public async Task A_header_that_claims_more_size_than_its_L1_maps_is_refused()
    {
        Poke(24, b => BinaryPrimitives.WriteUInt64BigEndian(b, 1UL << 50));

        var open = async () => await OpenAsync(readOnly: true);

        await open.Should().ThrowAsync<Qcow2FormatException>().WithMessage("*L1 table*too small*");
    }

    [Test]
    public async Task An_L2_table_past_the_end_of_the_file_gives_a_clear_read_error()
    {
        using (var stream = File.OpenRead(_path))
        {
            var header = new byte[112];
            stream.ReadExactly(header);
        }

        long l1 = 0;
        Poke(40, b => l1 = (long)BinaryPrimitives.ReadUInt64BigEndian(b));
        Poke(l1, b => BinaryPrimitives.WriteUInt64BigEndian(b, 0x8000_0000_4000_0000));
        await using var image = await OpenAsync(readOnly: true);

        var read = async () => await image.ReadAsync(0, new byte[512]);

        await read.Should().ThrowAsync<Qcow2FormatException>().WithMessage("*past the end of the image file*");
    }

    [Test]
    public async Task Unknown_incompatible_feature_bits_are_refused_by_name()
    {
        Poke(72, b => BinaryPrimitives.WriteUInt64BigEndian(b, 1UL << 40));

        var open = async () => await OpenAsync(readOnly: true);

        await open.Should().ThrowAsync<Qcow2FormatException>().WithMessage("*incompatible feature bits 0x10000000000*");
    }

    [Test]
    [CancelAfter(60_000)]
    public async Task Random_header_damage_never_escapes_as_anything_but_a_format_error()
    {
        var pristine = await File.ReadAllBytesAsync(_path);
        var random = new Random(1234);
        int opened = 0;
        for (int round = 0; round < 300; round++)
        {
            var damaged = (byte[])pristine.Clone();
            for (int flips = random.Next(1, 4); flips > 0; flips--)
            {
                damaged[random.Next(0, 112)] = (byte)random.Next(256);
            }

            await File.WriteAllBytesAsync(_path, damaged);
            try
            {
                await using var image = await Qcow2Image.OpenAsync(_path, new Qcow2OpenOptions { ReadOnly = true, OpenBackingFile = false });
                var buffer = new byte[65536];
                for (long offset = 0; offset < Math.Min(image.Length, 1 << 20); offset += buffer.Length)
                {
                    await image.ReadAsync(offset, buffer.AsMemory(0, (int)Math.Min(buffer.Length, image.Length - offset)));
                }

                opened++;
            }
            catch (Exception ex) when (ex is Qcow2FormatException or InvalidDataException)
            {
                ex.Message.Should().NotBeNullOrWhiteSpace();
            }
        }

        opened.Should().BeGreaterThan(0, "damage to unused header bytes leaves the image readable");
    }
}
