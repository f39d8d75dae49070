using Targetd.Host.Http;

namespace Targetd.Tests.Host;

public sealed class MountTableTests
{
    // /proc/mounts lines as Linux 6.1 prints them for a zpool's datasets, a btrfs loop mount and a path with a space.
    private const string Mounts = """
        /dev/vda / ext4 rw,relatime 0 0
        tank-targetd /tank-targetd zfs rw,xattr,noacl 0 0
        tank-targetd/fs /tank-targetd/fs zfs rw,xattr,noacl 0 0
        /dev/loop1 /srv/fs-pool btrfs rw,relatime,space_cache=v2,subvolid=5,subvol=/ 0 0
        tank-targetd/with\040space /mnt/with\040space zfs rw,xattr,noacl 0 0
        """;

    [Test]
    public void A_zfs_mount_point_gives_its_dataset()
    {
        MountTable.Find(Mounts, "/tank-targetd/fs").Should().Be(("tank-targetd/fs", "zfs"));
        MountTable.Find(Mounts, "/srv/fs-pool").Should().Be(("/dev/loop1", "btrfs"));
    }

    [Test]
    public void Escaped_spaces_are_decoded_and_a_path_below_a_mount_point_is_not_one()
    {
        MountTable.Find(Mounts, "/mnt/with space").Should().Be(("tank-targetd/with space", "zfs"));
        MountTable.Find(Mounts, "/tank-targetd/fs/sub").Should().BeNull();
        MountTable.Find(Mounts, "/tank").Should().BeNull();
    }
}
