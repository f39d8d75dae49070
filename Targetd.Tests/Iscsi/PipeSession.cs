using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Targetd.Core.BlockDevices;
using Targetd.Iscsi;
using Targetd.Iscsi.Server;
using Targetd.Iscsi.Targets;

namespace Targetd.Tests.Iscsi;

/// <summary>
/// One connection of the target served over in-memory pipes, on a manual clock: no socket, no wall-clock wait. The
/// connection runs until the initiator leaves or the target closes it; <see cref="Ended"/> completes then.
/// </summary>
internal sealed class PipeSession : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();

    public PipeSession(IscsiTargetRegistry registry, FakeTimeProvider clock, ConnectionTimeouts timeouts, long pauseWriterThreshold = 1 << 20)
    {
        Registry = registry;
        Clock = clock;
        Transport = new PipeTransport(pauseWriterThreshold);
        Connection = new IscsiConnection(Transport, registry, NullLogger.Instance, timeouts, clock);
        Initiator = TestInitiator.Over(new PipePairStream(Transport.FromTarget, Transport.ToTarget));
        Ended = Connection.RunAsync(_stop.Token); // returns at its first wait, with its timers made
    }

    public IscsiTargetRegistry Registry { get; }

    public FakeTimeProvider Clock { get; }

    public PipeTransport Transport { get; }

    public IscsiConnection Connection { get; }

    public TestInitiator Initiator { get; }

    /// <summary>Completes when the connection has ended and released what it held.</summary>
    public Task Ended { get; }

    /// <summary>A registry serving one target with a memory-backed LUN 0.</summary>
    public static IscsiTargetRegistry NewRegistry(IoBufferPool? pool = null, long size = 16 << 20)
    {
        var registry = new IscsiTargetRegistry { BufferPool = pool ?? IoBufferPool.Shared };
        var target = new IscsiTarget(LoopbackTarget.TargetName, "pipe disk");
        target.AddLun(0, new MemoryBlockDevice(size));
        registry.Add(target);
        return registry;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await Ended.WaitAsync(TimeSpan.FromSeconds(10));
        await Initiator.DisposeAsync();
        await Connection.DisposeAsync();
        _stop.Dispose();
    }
}
