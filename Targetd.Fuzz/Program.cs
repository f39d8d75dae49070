using SharpFuzz;

namespace Targetd.Fuzz;

/// <summary>
/// Fuzzing harnesses for AFL++ through SharpFuzz: <c>dotnet Targetd.Fuzz.dll HARNESS</c> reads inputs from AFL's
/// fork server (or one input from stdin when run alone). A harness returns normally on input the component refuses
/// as documented; any other exception, or a hang, is a finding.
/// </summary>
internal static class Program
{
    private static readonly Dictionary<string, Action<Stream>> Harnesses = new(StringComparer.Ordinal)
    {
        ["framer"] = FramerHarness.Run,
        ["login"] = LoginHarness.Run,
        ["session"] = SessionHarness.Run,
        ["qcow2"] = Qcow2Harness.Run,
        ["jsonrpc"] = JsonRpcHarness.Run,
        ["qcow2target"] = Qcow2TargetHarness.Run,
        ["config"] = ConfigHarness.Run,
    };

    private static int Main(string[] args)
    {
        if (args.Length != 1 || !Harnesses.TryGetValue(args[0], out var harness))
        {
            Console.Error.WriteLine($"usage: Targetd.Fuzz {{{string.Join('|', Harnesses.Keys)}}} < input");
            return 2;
        }

        // Out of process: a stack overflow or an abort of the runtime in the harness is reported as a crash too.
        Fuzzer.OutOfProcess.Run(harness);
        return 0;
    }
}
