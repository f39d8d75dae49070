using System.Buffers.Binary;
using Targetd.Qcow2;
using Targetd.Qcow2.Format;
using Targetd.Tests.Support;

namespace Targetd.Tests.Qcow2;

/// <summary>Enabled persistent bitmaps record our writes exactly as QEMU records its own; disabled ones stay as they were.</summary>
[Category("Interop")]
public sealed class Qcow2BitmapInteropTests
{
    private DirectoryInfo _directory = null!;

    [SetUp]
    public void SetUp()
    {
        ExternalTool.Require("qemu-img");
        ExternalTool.Require("qemu-io");
        _directory = Directory.CreateTempSubdirectory("targetd-qcow2-bitmaps-");
    }

    [TearDown]
    public void TearDown() => _directory.Delete(recursive: true);

    [Test]
    [CancelAfter(60_000)]
    public async Task Our_writes_set_the_same_bits_QEMU_sets_and_leave_the_bitmaps_consistent()
    {
        string template = Path.Combine(_directory.FullName, "template.qcow2");
        await ExternalTool.RunOkAsync("qemu-img", "create", "-q", "-f", "qcow2", template, "64M");
        await ExternalTool.RunOkAsync("qemu-img", "bitmap", "--add", "-g", "64K", template, "enabled");
        await ExternalTool.RunOkAsync("qemu-img", "bitmap", "--add", "-g", "512K", "--disable", template, "disabled");
        string theirs = Path.Combine(_directory.FullName, "theirs.qcow2");
        string ours = Path.Combine(_directory.FullName, "ours.qcow2");
        File.Copy(template, theirs);
        File.Copy(template, ours);

        await ExternalTool.RunOkAsync("qemu-io", "-c", "write -P 1 64K 64K", "-c", "write -P 2 1M 4K", "-c", "write -z 40M 3M", theirs);
        await using (var image = await Qcow2Image.OpenAsync(ours))
        {
            await image.WriteAsync(64 * 1024, new byte[65536]);
            await image.WriteAsync(1 << 20, new byte[4096]);
            await image.WriteZeroesAsync(40L << 20, 3L << 20);
        }

        var expected = await ReadBitmapsAsync(theirs);
        var actual = await ReadBitmapsAsync(ours);
        actual.Keys.Should().BeEquivalentTo(expected.Keys);
        foreach (var (name, bits) in expected)
        {
            actual[name].Should().Equal(bits, $"bitmap '{name}' must match");
        }

        actual["enabled"].Should().Contain(b => b != 0, "the enabled bitmap recorded the writes");
        string info = await ExternalTool.RunOkAsync("qemu-img", "info", "--output=json", ours);
        info.Should().NotContain("in-use");
        var validation = await ExternalTool.RunAsync("bash", Path.Combine(ExternalTool.SharedDirectory, "qcow2", "validate-image.sh"), ours);
        validation.ExitCode.Should().Be(0, validation.StandardOutput + validation.StandardError);
    }

    /// <summary>Each bitmap's data, all clusters concatenated (all-zero entries as zeroes).</summary>
    private static async Task<Dictionary<string, byte[]>> ReadBitmapsAsync(string path)
    {
        var file = await File.ReadAllBytesAsync(path);
        var header = Qcow2Header.Parse(file, file.Length);
        var extension = header.Extensions.Single(e => e.Type == HeaderExtension.Bitmaps);
        int count = (int)BinaryPrimitives.ReadUInt32BigEndian(extension.Data);
        long size = (long)BinaryPrimitives.ReadUInt64BigEndian(extension.Data.AsSpan(8));
        long offset = (long)BinaryPrimitives.ReadUInt64BigEndian(extension.Data.AsSpan(16));
        var result = new Dictionary<string, byte[]>();
        foreach (var bitmap in PersistentBitmap.ParseDirectory(file.AsSpan((int)offset, (int)size), count, file.Length, header.ClusterSize))
        {
            (bitmap.Flags & PersistentBitmap.InUse).Should().Be(0, $"bitmap '{bitmap.Name}' must not be left in use");
            var bits = new List<byte>();
            for (int i = 0; i < bitmap.TableSize; i++)
            {
                ulong entry = BinaryPrimitives.ReadUInt64BigEndian(file.AsSpan((int)bitmap.TableOffset + (i * 8)));
                long data = (long)(entry & 0x00fffffffffffe00);
                bits.AddRange(data == 0 ? Enumerable.Repeat((byte)((entry & 1) != 0 ? 0xff : 0), header.ClusterSize) : file.AsSpan((int)data, header.ClusterSize).ToArray());
            }

            result[bitmap.Name] = [.. bits];
        }

        return result;
    }
}
