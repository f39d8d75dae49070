namespace Targetd.Tests.Support;

/// <summary>
/// A throw-away btrfs file system: a sparse image file, <c>mkfs.btrfs</c>, a loop device and a mount in a temporary
/// folder. Disposing unmounts it, detaches the loop device and removes the folder, also after a failed start.
/// Tests are skipped, with the reason, where the machine cannot mount (no root, no loop devices, no btrfs).
/// </summary>
internal sealed class LoopBtrfs : IAsyncDisposable
{
    private readonly DirectoryInfo _folder;
    private string? _device;
    private bool _mounted;

    private LoopBtrfs(DirectoryInfo folder)
    {
        _folder = folder;
        MountPoint = Path.Combine(folder.FullName, "mnt");
    }

    /// <summary>Where the file system is mounted.</summary>
    public string MountPoint { get; }

    public static async Task<LoopBtrfs> CreateAsync(long size = 256L << 20)
    {
        ExternalTool.Require("mkfs.btrfs");
        ExternalTool.Require("btrfs");
        ExternalTool.Require("losetup");
        ExternalTool.Require("mount");
        if (Environment.UserName != "root")
        {
            Prerequisite.Missing($"mounting a loop btrfs needs root; running as {Environment.UserName}.");
        }

        var loop = new LoopBtrfs(Directory.CreateTempSubdirectory("targetd-btrfs-"));
        try
        {
            string image = Path.Combine(loop._folder.FullName, "btrfs.img");
            await using (var file = new FileStream(image, FileMode.CreateNew))
            {
                file.SetLength(size);
            }

            await ExternalTool.RunOkAsync("mkfs.btrfs", "-q", image);
            var attached = await ExternalTool.RunAsync("losetup", "--find", "--show", image);
            if (!attached.Succeeded)
            {
                Prerequisite.Missing($"no loop device available: {attached.StandardError.Trim()}");
            }

            loop._device = attached.StandardOutput.Trim();
            Directory.CreateDirectory(loop.MountPoint);
            var mounted = await ExternalTool.RunAsync("mount", "-t", "btrfs", loop._device, loop.MountPoint);
            if (!mounted.Succeeded)
            {
                Prerequisite.Missing($"mount is not permitted here: {mounted.StandardError.Trim()}");
            }

            loop._mounted = true;
            return loop;
        }
        catch
        {
            await loop.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_mounted)
        {
            for (int attempt = 0; attempt < 10 && _mounted; attempt++)
            {
                _mounted = !(await ExternalTool.RunAsync("umount", MountPoint)).Succeeded;
                if (_mounted)
                {
                    await Task.Delay(200);
                }
            }

            if (_mounted)
            {
                _mounted = !(await ExternalTool.RunAsync("umount", "--lazy", MountPoint)).Succeeded;
            }
        }

        if (_device is not null)
        {
            await ExternalTool.RunAsync("losetup", "-d", _device);
            _device = null;
        }

        if (!_mounted)
        {
            _folder.Delete(recursive: true);
        }
    }
}
