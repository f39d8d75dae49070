using Newtonsoft.Json.Linq;
using Targetd.Core.Processes;
using Targetd.Iscsi;
using Targetd.Iscsi.Targets;
using Targetd.Storage.JsonRpc;
using Targetd.Storage.Nfs;
using Targetd.Storage.Pools;
using Targetd.Storage.Pools.FileSystems;
using Targetd.Storage.Pools.Images;
using Targetd.Storage.Targetd;

namespace Targetd.Fuzz;

/// <summary>
/// The targetd JSON-RPC processor on one request body (or batch), with every method targetd serves: block and export
/// methods over an image pool, file-system methods over a folder pool (its copies made by the real <c>cp</c>) and
/// NFS methods over an exports file (with <c>exportfs</c> recorded, not run), all in a fresh temporary folder.
/// Every refusal is an error reply; a reply that reports a fault type
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
        var fsPool = new DirectoryFsPool(Directory.CreateDirectory(Path.Combine(folder, "fs")).FullName, new ProcessRunner());
        await fsPool.InitializeAsync().ConfigureAwait(false);
        var registry = new IscsiTargetRegistry();
        await using var service = await TargetdService.StartAsync(new TargetdServiceOptions
        {
            TargetName = "iqn.2024-01.net.targetd.fuzz:targetd",
            TargetPort = new IscsiTargetPort(registry),
            BlockPools = pools,
            FsPools = [fsPool],
            Nfs = new NfsExportService(new RecordingProcessRunner(), new ExportsFile(Path.Combine(folder, "exports"))),
            StateFile = Path.Combine(folder, "state.json"),
        }).ConfigureAwait(false);
        var processor = service.Processor;
        // The folder pool is named by its path, which changes with every run: "@fs" in the input stands for it.
        string reply = await processor.ProcessAsync(body.Replace("@fs", fsPool.Name, StringComparison.Ordinal)).ConfigureAwait(false);
        var parsed = JObject.Parse(reply);
        if (parsed["error"]?["message"] is JValue { Type: JTokenType.String } message && Finding.NamesFault((string)message!))
        {
            throw new Finding($"the processor answered with a fault: {message}");
        }
    }
}
