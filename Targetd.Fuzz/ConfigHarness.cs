using Targetd.Host.Http;
using Targetd.Host.Socket;

namespace Targetd.Fuzz;

/// <summary>
/// Both configuration loaders on one file: targetd's YAML (<see cref="TargetdConfigLoader"/>) and qcow2target's JSON
/// (<see cref="DaemonOptions"/>). Each refuses a bad file with an <see cref="ArgumentException"/> naming the key; an
/// <see cref="ArgumentOutOfRangeException"/> or <see cref="ArgumentNullException"/> is not such a refusal.
/// </summary>
internal static class ConfigHarness
{
    private static readonly string ConfigPath = Path.Combine(Path.GetTempPath(), $"targetd-fuzz-{Environment.ProcessId}.conf");

    public static void Run(Stream stream)
    {
        File.WriteAllBytes(ConfigPath, FuzzInput.ReadAll(stream));
        try
        {
            _ = TargetdConfigLoader.Load(ConfigPath, null);
        }
        catch (ArgumentException ex) when (ex is not (ArgumentOutOfRangeException or ArgumentNullException))
        {
            // a refused file
        }

        try
        {
            _ = DaemonOptions.Parse(["--config", ConfigPath]);
        }
        catch (ArgumentException ex) when (ex is not (ArgumentOutOfRangeException or ArgumentNullException))
        {
            // a refused file
        }
    }
}
