using NSubstitute;
using Targetd.Core.BlockDevices;
using Targetd.Storage.Pools;
using Targetd.Storage.Targetd;

namespace Targetd.Tests.Storage;

/// <summary>The export service serialises its own changes, whoever calls it, and readers see whole snapshots.</summary>
public sealed class TargetdExportsConcurrencyTests
{
    private const string Target = "iqn.2024-01.net.targetd:test";
    private const string Member = "iqn.2024-01.org.example:a";

    private static IBlockPool SlowPool(int volumes)
    {
        var pool = Substitute.For<IBlockPool>();
        pool.Name.Returns("p");
        var listing = Enumerable.Range(0, volumes).Select(i => new BlockVolume($"v{i}", 1 << 20, $"uuid-{i}")).ToList();
        pool.ListAsync(Arg.Any<CancellationToken>()).Returns(async _ =>
        {
            await Task.Delay(5);
            return (IReadOnlyList<BlockVolume>)listing;
        });
        pool.OpenAsync(Arg.Any<string>(), Arg.Any<CancellationToken>()).Returns(async _ =>
        {
            await Task.Delay(5);
            var device = Substitute.For<IBlockDevice>();
            device.Length.Returns(1L << 20);
            return device;
        });
        return pool;
    }

    private static async Task<TargetdExports> GroupWithOneMemberAsync(int volumes)
    {
        var pool = SlowPool(volumes);
        var exports = new TargetdExports(Target, new FakeIscsiTargetPort(), _ => pool);
        await exports.StartAsync();
        await exports.AccessGroupCreateAsync("g", Member);
        return exports;
    }

    [Test]
    public async Task Concurrent_group_mappings_called_directly_all_land_on_distinct_luns()
    {
        await using var exports = await GroupWithOneMemberAsync(8);

        await Task.WhenAll(Enumerable.Range(0, 8).Select(i => Task.Run(() => exports.AccessGroupMapCreateAsync("p", $"v{i}", "g", null))));

        var mappings = exports.AccessGroupMapList();
        mappings.Select(m => m.Volume).Should().BeEquivalentTo(Enumerable.Range(0, 8).Select(i => $"v{i}"));
        mappings.Select(m => m.Lun).Should().BeEquivalentTo(Enumerable.Range(0, 8));
        exports.IsExported("p", "v7").Should().BeTrue();
    }

    [Test]
    public async Task A_refused_change_leaves_the_published_state_as_it_was()
    {
        await using var exports = await GroupWithOneMemberAsync(2);
        await exports.AccessGroupMapCreateAsync("p", "v0", "g", 3);

        var taken = () => exports.AccessGroupMapCreateAsync("p", "v1", "g", 3);

        await taken.Should().ThrowAsync<Targetd.Core.Errors.TargetdException>();
        exports.AccessGroupMapList().Should().Equal(("g", 3, "p", "v0"));
        exports.AccessGroupList().Should().ContainSingle().Which.Initiators.Should().Equal(Member);
    }
}
