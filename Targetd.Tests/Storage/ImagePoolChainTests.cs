using Targetd.Qcow2;
using Targetd.Storage.Errors;
using Targetd.Storage.Pools.Images;

namespace Targetd.Tests.Storage;

/// <summary>An image pool opens its volumes with their chains confined to its folder and its backing roots.</summary>
public sealed class ImagePoolChainTests
{
    private DirectoryInfo _folder = null!;

    [SetUp]
    public void SetUp() => _folder = Directory.CreateTempSubdirectory("targetd-pool-chain-");

    [TearDown]
    public void TearDown() => _folder.Delete(recursive: true);

    [Test]
    public async Task A_volume_backed_outside_the_pool_is_refused_with_minus_one_naming_the_file()
    {
        string pool = _folder.CreateSubdirectory("pool").FullName;
        string golden = _folder.CreateSubdirectory("golden").FullName;
        await using (await Qcow2Image.CreateAsync(Path.Combine(golden, "base.qcow2"), new Qcow2CreateOptions { Size = 1 << 20 }))
        {
        }

        await using (await Qcow2Image.CreateAsync(Path.Combine(pool, "vol1.qcow2"), new Qcow2CreateOptions { BackingFile = "../golden/base.qcow2", BackingFormat = Qcow2BackingFormat.Qcow2 }))
        {
        }

        using var confined = new ImageDirectoryPool("images", pool);
        using var widened = new ImageDirectoryPool("images", pool) { BackingRoots = [golden] };

        var open = async () => await confined.OpenAsync("vol1");

        (await open.Should().ThrowAsync<StorageException>().WithMessage("Volume image refused: backing file '../golden/base.qcow2'*outside the allowed folders*"))
            .Which.Kind.Should().Be(StorageErrorKind.Failed);
        await using var device = await widened.OpenAsync("vol1");
        device.Length.Should().Be(1 << 20);
    }
}
