using Newtonsoft.Json.Linq;
using Targetd.Iscsi;
using Targetd.Iscsi.Targets;
using Targetd.Storage.JsonRpc;
using Targetd.Storage.Pools;
using Targetd.Storage.Pools.Images;
using Targetd.Storage.Targetd;

namespace Targetd.Fuzz;

/// <summary>
/// The targetd JSON-RPC processor on one request body, with targetd's block and export methods over an image pool
/// in a fresh temporary folder. Every refusal is an error reply; a reply that reports a fault type
/// (<see cref="Finding.NamesFault"/>) is a finding, as is an exception out of the processor.
/// </summary>
internal static class JsonRpcHarness
{
    public static void Run(Stream stream)
    {
        string body = FuzzInput.ReadText(stream);
        var folder = Directory.CreateTempSubdirectory("targetd-fuzz-");
        try
        {
            RunAsync(body, folder.FullName).GetAwaiter().GetResult();
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    private static async Task RunAsync(string body, string folder)
    {
        string images = Directory.CreateDirectory(Path.Combine(folder, "images")).FullName;
        using var pool = new ImageDirectoryPool("pool", images);
        IReadOnlyList<IBlockPool> pools = [pool];
        TargetdExports? exportsHolder = null;
        var blockMethods = new TargetdBlockMethods(
            pools,
            (p, volume) => exportsHolder!.IsExported(p, volume),
            null,
            (p, volume, size, ct) => exportsHolder!.ResizeAsync(p, volume, size, ct));
        var registry = new IscsiTargetRegistry();
        await using var exports = new TargetdExports("iqn.2024-01.net.targetd.fuzz:targetd", new IscsiTargetPort(registry), blockMethods.Pool, Path.Combine(folder, "state.json"));
        exportsHolder = exports;
        await exports.StartAsync().ConfigureAwait(false);
        using var processor = new JsonRpcProcessor(blockMethods.Methods().Concat(new TargetdExportMethods(exports).Methods()));
        string reply = await processor.ProcessAsync(body).ConfigureAwait(false);
        var parsed = JObject.Parse(reply);
        if (parsed["error"]?["message"] is JValue { Type: JTokenType.String } message && Finding.NamesFault((string)message!))
        {
            throw new Finding($"the processor answered with a fault: {message}");
        }
    }
}
