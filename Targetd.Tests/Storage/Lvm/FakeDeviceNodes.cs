using Targetd.Core.BlockDevices;

namespace Targetd.Tests.Storage.Lvm;

/// <summary>A fake <c>/dev/vg/lv</c>: devices by path, and every open in order.</summary>
internal sealed class FakeDeviceNodes
{
    private readonly Dictionary<string, IBlockDevice> _devices = [];

    public List<(string Path, bool ReadOnly)> Opens { get; } = [];

    public List<KeptBlockDevice> Handed { get; } = [];

    public MemoryBlockDevice Add(string path, long length)
    {
        var device = new MemoryBlockDevice(length);
        _devices[path] = device;
        return device;
    }

    public IBlockDevice Open(string path, bool readOnly)
    {
        Opens.Add((path, readOnly));
        var device = _devices.TryGetValue(path, out var found)
            ? new KeptBlockDevice(found)
            : throw new FileNotFoundException($"Could not find file '{path}'.", path);
        Handed.Add(device);
        return device;
    }
}
