using Targetd.Host.Http;

namespace Targetd.Tests.Host;

/// <summary>targetd.yaml's fs pool keys: <c>fs_pools</c> (btrfs), <c>dir_fs_pools</c> and <c>nfs_exports_file</c>.</summary>
public sealed class TargetdConfigFsPoolsTests
{
    private DirectoryInfo _folder = null!;

    [SetUp]
    public void SetUp() => _folder = Directory.CreateTempSubdirectory("targetd-config-");

    [TearDown]
    public void TearDown() => _folder.Delete(recursive: true);

    private TargetdConfig Load(string yaml)
    {
        string path = Path.Combine(_folder.FullName, "targetd.yaml");
        File.WriteAllText(path, "password: secret\n" + yaml);
        return TargetdConfigLoader.Load(path, null);
    }

    [Test]
    public void Folder_pools_and_the_exports_file_resolve_against_the_configuration_folder()
    {
        Directory.CreateDirectory(Path.Combine(_folder.FullName, "fs"));

        var config = Load("dir_fs_pools:\n  - fs/\nnfs_exports_file: exports.d/targetd.exports\n");
        var defaults = Load(string.Empty);

        config.DirFsPools.Should().Equal(Path.Combine(_folder.FullName, "fs"));
        config.NfsExportsFile.Should().Be(Path.Combine(_folder.FullName, "exports.d", "targetd.exports"));
        defaults.NfsExportsFile.Should().Be("/etc/exports.d/targetd.exports");
        defaults.FsPools.Should().BeEmpty();
        defaults.DirFsPools.Should().BeEmpty();
    }

    [TestCase("fs_pools: [relative]", "must be an absolute path")]
    [TestCase("fs_pools: [/no/such/mount]", "the fs_pool /no/such/mount does not exist")]
    [TestCase("fs_pools: /mnt/btrfs", "must be a list")]
    [TestCase("dir_fs_pools: [missing]", "does not exist")]
    [TestCase("zfs_block_pools: [tank/block, tank/block/sub]", "zfs_block_pools: ZFS pools cannot contain both parent and child datasets")]
    [TestCase("zfs_block_pools: [tank/a:b]", "zfs_block_pools: Colon in ZFS pools is not supported")]
    [TestCase("zfs_block_pools: [/tank/block]", "zfs_block_pools: ZFS pools must be dataset names*")]
    public void Bad_entries_stop_the_start_naming_their_key(string yaml, string message)
    {
        var act = () => Load(yaml + "\n");

        act.Should().Throw<ArgumentException>().WithMessage($"*{message}*");
    }

    [Test]
    public void A_folder_not_on_btrfs_is_refused_as_an_fs_pool()
    {
        if (new DriveInfo(_folder.FullName).DriveFormat == "btrfs")
        {
            Assert.Ignore("the temporary folder is on btrfs here");
        }

        var act = () => Load($"fs_pools: [{_folder.FullName}]\n");
        var twice = () => Load($"dir_fs_pools: [{_folder.FullName}, {_folder.FullName}/]\n");

        act.Should().Throw<ArgumentException>().WithMessage($"fs_pools: {_folder.FullName} is on *, not btrfs or zfs*");
        twice.Should().Throw<ArgumentException>().WithMessage("*configured twice*");
    }

    [Test]
    public void Zfs_block_pools_and_zfs_enable_copy_are_read_as_targetd_reads_them()
    {
        var config = Load("zfs_block_pools: [tank/block, tank/other, tank/block]\nzfs_enable_copy: true\n");
        var defaults = Load(string.Empty);

        config.ZfsBlockPools.Should().Equal("tank/block", "tank/other");
        config.ZfsEnableCopy.Should().BeTrue();
        defaults.ZfsBlockPools.Should().BeEmpty();
        defaults.ZfsEnableCopy.Should().BeFalse("copies on ZFS are off unless enabled, as in targetd");
    }
}
