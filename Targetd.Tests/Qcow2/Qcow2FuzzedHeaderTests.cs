using System.Buffers.Binary;
using Targetd.Qcow2;

namespace Targetd.Tests.Qcow2;

/// <summary>Headers found by fuzzing (Targetd.Fuzz, harness qcow2), reduced to the fields that matter.</summary>
public sealed class Qcow2FuzzedHeaderTests
{
    private DirectoryInfo _directory = null!;

    [SetUp]
    public void SetUp() => _directory = Directory.CreateTempSubdirectory("targetd-fuzzed-");

    [TearDown]
    public void TearDown() => _directory.Delete(recursive: true);

    [Test]
    public async Task A_backing_file_size_above_2_pow_31_is_refused_as_a_format_error()
    {
        // Version 3, 4 KiB clusters, no L1 table, a one-cluster refcount table at 0x1000, and a backing file name at
        // offset 0xff of 0xffffff0a bytes: read as a signed int the size was negative and passed the length check.
        var image = new byte[3 * 4096];
        BinaryPrimitives.WriteUInt32BigEndian(image, 0x514649fb); // magic
        BinaryPrimitives.WriteUInt32BigEndian(image.AsSpan(4), 3); // version
        BinaryPrimitives.WriteUInt64BigEndian(image.AsSpan(8), 0xff); // backing_file_offset
        BinaryPrimitives.WriteUInt32BigEndian(image.AsSpan(16), 0xffffff0a); // backing_file_size
        BinaryPrimitives.WriteUInt32BigEndian(image.AsSpan(20), 12); // cluster_bits
        BinaryPrimitives.WriteUInt64BigEndian(image.AsSpan(48), 0x1000); // refcount_table_offset
        BinaryPrimitives.WriteUInt32BigEndian(image.AsSpan(56), 1); // refcount_table_clusters
        BinaryPrimitives.WriteUInt32BigEndian(image.AsSpan(96), 4); // refcount_order
        BinaryPrimitives.WriteUInt32BigEndian(image.AsSpan(100), 0x70); // header_length
        string path = Path.Combine(_directory.FullName, "fuzzed.qcow2");
        await File.WriteAllBytesAsync(path, image);

        var open = async () => await Qcow2Image.OpenAsync(path, new Qcow2OpenOptions { ReadOnly = true, OpenBackingFile = false, Lock = false });

        (await open.Should().ThrowAsync<Qcow2FormatException>()).WithMessage("*backing file name*");
    }

    [TestCase(0xb400000000100000UL, "The virtual size (9223372036854775807 bytes) is too big for 512-byte clusters.")]
    [TestCase(0x7fffffffffff0000UL, "The virtual size (9223372036854710272 bytes) is too big for 512-byte clusters.")]
    [TestCase(0x0000000100000000UL, "The L1 table (32 entries) is too small for the virtual size (4294967296 bytes).")]
    public async Task A_virtual_size_whose_l1_count_overflows_is_refused_before_a_write_can_index_past_the_l1_table(ulong size, string message)
    {
        // Version 3, 512-byte clusters, a refcount table at 0x200 and a 32-entry L1 table at 0x600: the L1 entries the
        // size needs were rounded up in 64 bits, wrapped negative for sizes near 2^63, and a write far into the disk
        // then indexed the L1 table with a negative number.
        var image = new byte[8 * 512];
        BinaryPrimitives.WriteUInt32BigEndian(image, 0x514649fb); // magic
        BinaryPrimitives.WriteUInt32BigEndian(image.AsSpan(4), 3); // version
        BinaryPrimitives.WriteUInt32BigEndian(image.AsSpan(20), 9); // cluster_bits
        BinaryPrimitives.WriteUInt64BigEndian(image.AsSpan(24), size); // size
        BinaryPrimitives.WriteUInt32BigEndian(image.AsSpan(36), 32); // l1_size
        BinaryPrimitives.WriteUInt64BigEndian(image.AsSpan(40), 0x600); // l1_table_offset
        BinaryPrimitives.WriteUInt64BigEndian(image.AsSpan(48), 0x200); // refcount_table_offset
        BinaryPrimitives.WriteUInt32BigEndian(image.AsSpan(56), 1); // refcount_table_clusters
        BinaryPrimitives.WriteUInt32BigEndian(image.AsSpan(96), 4); // refcount_order
        BinaryPrimitives.WriteUInt32BigEndian(image.AsSpan(100), 0x70); // header_length
        string path = Path.Combine(_directory.FullName, "fuzzed.qcow2");
        await File.WriteAllBytesAsync(path, image);

        var open = async () => await Qcow2Image.OpenAsync(path, new Qcow2OpenOptions { Lock = false });

        await open.Should().ThrowAsync<Qcow2FormatException>().WithMessage(message);
    }
}
