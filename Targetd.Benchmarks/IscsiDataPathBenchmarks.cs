using System.Net;
using BenchmarkDotNet.Attributes;
using Targetd.Core.BlockDevices;
using Targetd.Iscsi;
using Targetd.Iscsi.Targets;

namespace Targetd.Benchmarks;

/// <summary>
/// What the target allocates per SCSI command on its data path: windows of 32 pipelined 4 KiB READ(10) and WRITE(10)
/// commands (writes with immediate data) and 256 KiB reads and writes, over a loopback session to an in-memory LUN.
/// The initiator allocates nothing, so the Allocated column is the target's, per command.
/// </summary>
[MemoryDiagnoser]
public class IscsiDataPathBenchmarks
{
    private const int Window = 32;
    private const string TargetName = "iqn.2024-01.net.targetd.bench:disk";

    private IscsiPortal? _portal;
    private RawIscsiInitiator? _initiator;
    private byte[] _reads4K = [];
    private byte[] _writes4K = [];
    private byte[] _reads256K = [];
    private byte[] _writes256K = [];

    [GlobalSetup]
    public async Task SetupAsync()
    {
        var registry = new IscsiTargetRegistry();
        var target = new IscsiTarget(TargetName);
        target.AddLun(0, new MemoryBlockDevice(64L * 1024 * 1024));
        registry.Add(target);
        _portal = new IscsiPortal(registry, new IPEndPoint(IPAddress.Loopback, 0));
        await _portal.StartAsync();
        _initiator = await RawIscsiInitiator.LoginAsync(_portal.LocalEndPoint!, TargetName);

        _reads4K = new byte[Window * 48];
        RawIscsiInitiator.FormatCommands(_reads4K, Window, write: false, blocks: 8, lbaStride: 8);
        _writes4K = new byte[Window * (48 + 4096)];
        RawIscsiInitiator.FormatCommands(_writes4K, Window, write: true, blocks: 8, lbaStride: 8);
        _reads256K = new byte[Window * 48];
        RawIscsiInitiator.FormatCommands(_reads256K, Window, write: false, blocks: 512, lbaStride: 512);
        _writes256K = new byte[4 * (48 + (256 * 1024))];
        RawIscsiInitiator.FormatCommands(_writes256K, 4, write: true, blocks: 512, lbaStride: 512);

        // Warm the LUN and the pools: every block the windows touch is written once.
        await _initiator.RunWindowAsync(_writes4K, Window, 48 + 4096);
        await _initiator.RunWindowAsync(_writes256K, 4, 48 + (256 * 1024));
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        _initiator?.Dispose();
        if (_portal is not null)
        {
            await _portal.DisposeAsync();
        }
    }

    [Benchmark(OperationsPerInvoke = Window)]
    public ValueTask Read4K() => _initiator!.RunWindowAsync(_reads4K, Window, 48);

    [Benchmark(OperationsPerInvoke = Window)]
    public ValueTask Write4K() => _initiator!.RunWindowAsync(_writes4K, Window, 48 + 4096);

    [Benchmark(OperationsPerInvoke = Window)]
    public ValueTask Read256K() => _initiator!.RunWindowAsync(_reads256K, Window, 48);

    [Benchmark(OperationsPerInvoke = 4)]
    public ValueTask Write256K() => _initiator!.RunWindowAsync(_writes256K, 4, 48 + (256 * 1024));
}
