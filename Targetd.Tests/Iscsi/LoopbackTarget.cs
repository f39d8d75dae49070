using System.Net;
using Microsoft.Extensions.Logging;
using Targetd.Core.BlockDevices;
using Targetd.Iscsi;
using Targetd.Iscsi.Targets;

namespace Targetd.Tests.Iscsi;

/// <summary>A portal on 127.0.0.1 and a free port, serving one target with a memory-backed LUN 0.</summary>
internal sealed class LoopbackTarget : IAsyncDisposable
{
    public const string TargetName = "iqn.2024-01.net.targetd.test:disk";

    private LoopbackTarget(IscsiTargetRegistry registry, IscsiTarget target, MemoryBlockDevice device, IscsiPortal portal)
    {
        Registry = registry;
        Target = target;
        Device = device;
        Portal = portal;
    }

    public IscsiTargetRegistry Registry { get; }

    public IscsiTarget Target { get; }

    public MemoryBlockDevice Device { get; }

    public IscsiPortal Portal { get; }

    public IPEndPoint EndPoint => Portal.LocalEndPoint!;

    public static async Task<LoopbackTarget> StartAsync(
        long size = 16 * 1024 * 1024,
        ConnectionTimeouts? timeouts = null,
        ILoggerFactory? loggerFactory = null,
        TimeSpan? drainTimeout = null,
        long bufferBudget = IscsiTargetRegistry.DefaultBufferBudgetBytes,
        IscsiLimits? limits = null,
        Targetd.Iscsi.Server.IoBufferPool? pool = null)
    {
        var registry = new IscsiTargetRegistry
        {
            Limits = limits ?? IscsiLimits.Default with { BufferBudgetBytes = bufferBudget },
            BufferPool = pool ?? Targetd.Iscsi.Server.IoBufferPool.Shared,
        };
        var target = new IscsiTarget(TargetName, "test disk");
        var device = new MemoryBlockDevice(size);
        target.AddLun(0, device);
        registry.Add(target);
        var portal = new IscsiPortal(registry, new IPEndPoint(IPAddress.Loopback, 0), loggerFactory)
        {
            Timeouts = timeouts ?? ConnectionTimeouts.Default,
            DrainTimeout = drainTimeout ?? TimeSpan.FromSeconds(10),
        };
        await portal.StartAsync();
        return new LoopbackTarget(registry, target, device, portal);
    }

    public async Task<TestInitiator> LoginAsync(string? targetName = TargetName, (string, string)? chap = null)
    {
        var initiator = await TestInitiator.ConnectAsync(EndPoint);
        ushort status = await initiator.LoginAsync(targetName, chap: chap);
        status.Should().Be(0, "the login should succeed");
        return initiator;
    }

    /// <summary>Waits until the registry lists no session and the portal serves no connection.</summary>
    public async Task WaitForNoSessionsAsync()
    {
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while ((Registry.Sessions.Count > 0 || Portal.ConnectionCount > 0) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(10);
        }

        Registry.Sessions.Should().BeEmpty();
        Portal.ConnectionCount.Should().Be(0);
    }

    /// <summary>A fresh session logs in, reads a block, logs out.</summary>
    public async Task AssertServesFreshSessionAsync()
    {
        await using (var initiator = await LoginAsync())
        {
            var reply = await initiator.ExecuteAsync(0, Cdb.Read10(0, 1), 512, read: true);
            reply.Status.Should().Be(Targetd.Iscsi.Scsi.ScsiStatus.Good);
            reply.Data.Should().HaveCount(512);
            (await initiator.LogoutAsync()).Opcode.Should().Be(Targetd.Iscsi.Wire.IscsiOpcode.LogoutResponse);
        }

        await WaitForNoSessionsAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await Portal.DisposeAsync();
        await Device.DisposeAsync();
    }
}
