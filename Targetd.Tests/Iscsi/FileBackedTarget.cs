using System.Net;
using Targetd.Core.BlockDevices;
using Targetd.Iscsi;
using Targetd.Iscsi.Targets;

namespace Targetd.Tests.Iscsi;

/// <summary>A portal on 127.0.0.1 and a free port serving a target with a file-backed LUN 0, for the interop suites.</summary>
internal sealed class FileBackedTarget : IAsyncDisposable
{
    public const string TargetName = "iqn.2024-01.net.targetd.test:interop";

    private readonly DirectoryInfo _directory;

    private FileBackedTarget(DirectoryInfo directory, string path, FileBlockDevice device, IscsiTarget target, IscsiTargetRegistry registry, IscsiPortal portal)
    {
        _directory = directory;
        ImagePath = path;
        Device = device;
        Target = target;
        Registry = registry;
        Portal = portal;
    }

    public string ImagePath { get; }

    public FileBlockDevice Device { get; }

    public IscsiTarget Target { get; }

    public IscsiTargetRegistry Registry { get; }

    public IscsiPortal Portal { get; }

    public string Directory => _directory.FullName;

    public string Address => $"127.0.0.1:{Portal.LocalEndPoint!.Port}";

    public string LunUrl(string? credentials = null) => $"iscsi://{(credentials is null ? string.Empty : credentials + "@")}{Address}/{TargetName}/0";

    public static async Task<FileBackedTarget> StartAsync(long size, bool readOnly = false, ConnectionTimeouts? timeouts = null)
    {
        var directory = System.IO.Directory.CreateTempSubdirectory("targetd-iscsi-");
        string path = Path.Combine(directory.FullName, "lun0.img");
        var device = FileBlockDevice.Create(path, size);
        if (readOnly)
        {
            await device.DisposeAsync();
            device = FileBlockDevice.Open(path, new FileBlockDeviceOptions { ReadOnly = true });
        }

        var target = new IscsiTarget(TargetName);
        target.AddLun(0, device);
        var registry = new IscsiTargetRegistry();
        registry.Add(target);
        var portal = new IscsiPortal(registry, new IPEndPoint(IPAddress.Loopback, 0)) { Timeouts = timeouts ?? ConnectionTimeouts.Default };
        await portal.StartAsync();
        return new FileBackedTarget(directory, path, device, target, registry, portal);
    }

    public async ValueTask DisposeAsync()
    {
        await Portal.DisposeAsync();
        await Device.DisposeAsync();
        _directory.Delete(recursive: true);
    }
}
