using Newtonsoft.Json.Linq;
using Targetd.Iscsi;
using Targetd.Iscsi.Targets;
using Targetd.Storage.Qcow2Target;

namespace Targetd.Fuzz;

/// <summary>
/// The qcow2target line protocol on one line, served by a service over a fresh temporary disks root. A refusal is a
/// reply with an error; a reply reporting an internal error (the protocol's catch-all for a fault of ours) is a
/// finding, as is an exception out of the protocol.
/// </summary>
internal static class Qcow2TargetHarness
{
    public static void Run(Stream stream)
    {
        string line = FuzzInput.ReadText(stream);
        var folder = Directory.CreateTempSubdirectory("targetd-fuzz-");
        try
        {
            RunAsync(line, folder.FullName).GetAwaiter().GetResult();
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    private static async Task RunAsync(string line, string folder)
    {
        var options = new Qcow2TargetOptions { DisksRoot = Directory.CreateDirectory(Path.Combine(folder, "disks")).FullName, StateFile = Path.Combine(folder, "state.json") };
        await using var service = new Qcow2TargetService(options, new IscsiTargetPort(new IscsiTargetRegistry()));
        var protocol = new Qcow2TargetProtocol(service);
        foreach (string request in line.Split('\n'))
        {
            string reply = await protocol.HandleLineAsync(request.TrimEnd('\r')).ConfigureAwait(false);
            if (JObject.Parse(reply)["error"] is JValue { Type: JTokenType.String } error && ((string)error!).StartsWith("internal error", StringComparison.Ordinal))
            {
                throw new Finding($"the protocol answered with an internal error: {error}");
            }
        }
    }
}
