using Microsoft.Extensions.Logging;
using Targetd.Storage.JsonRpc;
using Targetd.Storage.Pools;

namespace Targetd.Storage.Targetd;

/// <summary>
/// targetd's whole JSON-RPC API over a set of pools, composed in one place for the daemon, for tests and for a
/// program that embeds it: the exports (which own every mapping, initiator and access group and apply them to the
/// target), the block, export, file-system and NFS methods, and the processor that dispatches requests to them.
/// </summary>
public sealed class TargetdService : IAsyncDisposable
{
    private TargetdService(TargetdExports exports, JsonRpcProcessor processor)
    {
        Exports = exports;
        Processor = processor;
    }

    /// <summary>Answers JSON-RPC requests (bodies as received over HTTP).</summary>
    public JsonRpcProcessor Processor { get; }

    /// <summary>The exports, as the target sees them.</summary>
    public TargetdExports Exports { get; }

    /// <summary>
    /// Composes the service and applies the stored exports to the target. A mapping whose pool or volume is gone is
    /// kept and retried on every change; a damaged state file is <see cref="InvalidDataException"/>.
    /// </summary>
    /// <exception cref="ArgumentException">Two block pools or two fs pools have the same name.</exception>
    public static async Task<TargetdService> StartAsync(TargetdServiceOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.BlockPools.DistinctBy(p => p.Name, StringComparer.Ordinal).Count() != options.BlockPools.Count
            || options.FsPools.DistinctBy(p => p.Name, StringComparer.Ordinal).Count() != options.FsPools.Count)
        {
            throw new ArgumentException("two pools of one kind have the same name", nameof(options));
        }

        var exports = new TargetdExports(
            options.TargetName,
            options.TargetPort,
            name => BlockPoolLookup.Find(options.BlockPools, name),
            options.StateFile,
            options.LoggerFactory?.CreateLogger<TargetdExports>());
        try
        {
            await exports.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await exports.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        var fsMethods = new TargetdFsMethods(options.FsPools);
        var methods = new TargetdBlockMethods(options.BlockPools, exports.IsExported, fsMethods, exports.ResizeAsync).Methods()
            .Concat(new TargetdExportMethods(exports).Methods())
            .Concat(fsMethods.Methods());
        if (options.Nfs is { } nfs)
        {
            methods = methods.Concat(new TargetdNfsMethods(nfs).Methods());
        }

        return new TargetdService(exports, new JsonRpcProcessor(methods, options.LoggerFactory?.CreateLogger("targetd.audit")));
    }

    /// <summary>Stops dispatching and closes every device the exports opened (the target's LUNs go with them).</summary>
    public async ValueTask DisposeAsync()
    {
        Processor.Dispose();
        await Exports.DisposeAsync().ConfigureAwait(false);
    }
}
