using System.Diagnostics;
using System.Globalization;
using Targetd.Core.Processes;

namespace Targetd.Tests.Support;

/// <summary>
/// A Debian 12 guest with its real 6.1 kernel under QEMU (<c>kernel-guest/guest.sh</c>): device-mapper and dm-thin
/// for real LVM, kernel nfsd and NFS clients, Linux's iSCSI initiator, dm-multipath and OpenZFS 2.1, which the host
/// kernel here lacks. One guest serves every test of a run: built once into a cache folder kept between runs
/// (<c>TARGETD_KERNEL_GUEST_DIR</c>, default <c>/var/cache/targetd/kernel-guest</c>), booted on first use with a
/// fresh root file system, and stopped by <see cref="StopSharedAsync"/> (the category's set-up fixture) or, at the
/// latest, by its own lifetime limit. Commands run in it as root through its 9p share, one at a time.
/// </summary>
internal sealed class KernelGuest
{
    /// <summary>How the guest reaches the host's 127.0.0.1 (QEMU user networking).</summary>
    public const string HostAddress = "10.0.2.2";

    /// <summary>The guest's address on its own network: what it sees as the source of its connections.</summary>
    public const string GuestAddress = "10.0.2.15";

    /// <summary>The initiator name open-iscsi uses in the guest (set at boot).</summary>
    public const string InitiatorName = "iqn.1993-08.org.debian:01:kernelguest";

    private static readonly SemaphoreSlim SharedGate = new(1, 1);
    private static readonly SemaphoreSlim CommandGate = new(1, 1);
    private static KernelGuest? _shared;
    private static string? _sharedFailure;


    private readonly string _script;
    private readonly Dictionary<string, string> _environment;
    private int _qemuProcessId;

    private KernelGuest(string script, string buildDirectory, string runDirectory, int iscsiPort, int httpPort)
    {
        _script = script;
        RunDirectory = runDirectory;
        IscsiPort = iscsiPort;
        HttpPort = httpPort;
        _environment = new Dictionary<string, string>
        {
            ["W"] = buildDirectory,
            ["R"] = runDirectory,
            ["ISCSI_PORT"] = iscsiPort.ToString(CultureInfo.InvariantCulture),
            ["HTTP_PORT"] = httpPort.ToString(CultureInfo.InvariantCulture),
        };
    }

    /// <summary>This boot's folder; <c>share/</c> in it is the guest's <c>/share</c>.</summary>
    public string RunDirectory { get; }

    public string ShareDirectory => Path.Combine(RunDirectory, "share");

    /// <summary>The host's 127.0.0.1 port forwarded to the guest's 3260.</summary>
    public int IscsiPort { get; }

    /// <summary>The host's 127.0.0.1 port forwarded to the guest's 18700.</summary>
    public int HttpPort { get; }

    /// <summary>What the build, the boot and the daemon's publication cost, for the run's log.</summary>
    public string Timings { get; private set; } = string.Empty;

    /// <summary>The run's guest, built and booted on first use; a test that cannot have one is ignored (failed under CI).</summary>
    public static async Task<KernelGuest> SharedAsync()
    {
        await SharedGate.WaitAsync();
        try
        {
            if (_shared is null && _sharedFailure is null)
            {
                try
                {
                    _shared = await StartAsync();
                }
                catch (Exception e) when (e is not IgnoreException)
                {
                    _sharedFailure = e.Message;
                }
            }

            if (_sharedFailure is not null)
            {
                Assert.Fail("the kernel guest did not start: " + _sharedFailure);
            }

            return _shared!;
        }
        finally
        {
            SharedGate.Release();
        }
    }

    /// <summary>Stops the run's guest if one was booted.</summary>
    public static async Task StopSharedAsync()
    {
        await SharedGate.WaitAsync();
        try
        {
            if (_shared is not null)
            {
                await _shared.StopAsync();
                _shared = null;
            }
        }
        finally
        {
            SharedGate.Release();
        }
    }

    /// <summary>Runs a shell script in the guest as root and returns its exit status and output (stdout and stderr).</summary>
    public async Task<ProcessResult> RunAsync(string script, TimeSpan? timeout = null)
    {
        string command = Path.Combine(ShareDirectory, "cmd.sh");
        string output = Path.Combine(ShareDirectory, "cmd.out");
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromMinutes(3));
        await CommandGate.WaitAsync();
        try
        {
            File.Delete(output);
            await File.WriteAllTextAsync(command + ".tmp", "exec 2>&1\n" + script + "\n");
            File.Move(command + ".tmp", command);
            while (!File.Exists(output))
            {
                if (DateTime.UtcNow > deadline)
                {
                    throw new TimeoutException($"the guest did not finish within {timeout}: {script}\n{SerialTail()}");
                }

                await Task.Delay(100);
            }

            string text = await File.ReadAllTextAsync(output);
            int marker = text.LastIndexOf("rc=", StringComparison.Ordinal);
            int exitCode = int.Parse(text[(marker + 3)..].Trim(), CultureInfo.InvariantCulture);
            return new ProcessResult(exitCode, text[..marker], string.Empty);
        }
        finally
        {
            CommandGate.Release();
        }
    }

    /// <summary>Runs a script in the guest, asserts that it succeeded and returns its output.</summary>
    public async Task<string> RunOkAsync(string script, TimeSpan? timeout = null)
    {
        var result = await RunAsync(script, timeout);
        result.ExitCode.Should().Be(0, $"in the guest: {script}\n{result.StandardOutput}");
        return result.StandardOutput;
    }

    private static async Task<KernelGuest> StartAsync()
    {
        if (!File.Exists("/usr/bin/apt-get") || Environment.UserName != "root")
        {
            Prerequisite.Missing("the kernel guest is built as root with Debian's apt.");
        }

        string script = Path.Combine(RepositoryRoot.Path, "kernel-guest", "guest.sh");
        string build = Environment.GetEnvironmentVariable("TARGETD_KERNEL_GUEST_DIR") is { Length: > 0 } configured
            ? configured
            : "/var/cache/targetd/kernel-guest";
        string run = Directory.CreateTempSubdirectory("targetd-guest-").FullName;
        var guest = new KernelGuest(script, build, run, Qcow2TargetDaemon.FreePort(), Qcow2TargetDaemon.FreePort());
        var clock = Stopwatch.StartNew();
        await guest.ScriptOkAsync(TimeSpan.FromMinutes(25), "build");
        var built = clock.Elapsed;
        var publish = guest.PublishTargetdAsync();
        await guest.ScriptOkAsync(TimeSpan.FromMinutes(1), "boot");
        guest._qemuProcessId = await ReadProcessIdAsync(Path.Combine(run, "qemu.pid"));
        AppDomain.CurrentDomain.ProcessExit += (_, _) => guest.Kill();
        try
        {
            await guest.ScriptOkAsync(TimeSpan.FromMinutes(6), "wait", "300");
            var booted = clock.Elapsed;
            await publish;
            guest.Timings = string.Create(
                CultureInfo.InvariantCulture,
                $"kernel guest: build {built.TotalSeconds:F0} s, boot {(booted - built).TotalSeconds:F0} s, ready with targetd published {clock.Elapsed.TotalSeconds:F0} s");
            await TestContext.Progress.WriteLineAsync(guest.Timings);
        }
        catch
        {
            await guest.StopAsync();
            throw;
        }

        return guest;
    }

    /// <summary>The HTTP host, self-contained and ReadyToRun (it starts in seconds under emulation), as /share/targetd/targetd.</summary>
    private async Task PublishTargetdAsync()
    {
        string project = Path.Combine(RepositoryRoot.Path, "Targetd.Host.Http", "Targetd.Host.Http.csproj");
        var result = await new ProcessRunner().RunAsync(new ProcessCommand(
            "dotnet",
            "publish",
            project,
            "-c",
            "Release",
            "-r",
            "linux-x64",
            "--self-contained",
            "-p:PublishReadyToRun=true",
            "-o",
            Path.Combine(ShareDirectory, "targetd")) { Timeout = TimeSpan.FromMinutes(10) });
        result.ExitCode.Should().Be(0, $"dotnet publish failed: {result.StandardOutput}{result.StandardError}");
    }

    private async Task ScriptOkAsync(TimeSpan timeout, params string[] arguments)
    {
        var command = new ProcessCommand("env", [.. _environment.Select(pair => $"{pair.Key}={pair.Value}"), "bash", _script, .. arguments]) { Timeout = timeout };
        var result = await new ProcessRunner().RunAsync(command);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"guest.sh {string.Join(' ', arguments)} failed ({result.ExitCode}): {result.StandardOutput}{result.StandardError}\n{SerialTail()}");
        }
    }

    private async Task StopAsync()
    {
        try
        {
            await ScriptOkAsync(TimeSpan.FromMinutes(1), "stop");
        }
        finally
        {
            Kill();
        }
    }

    private void Kill()
    {
        try
        {
            if (_qemuProcessId > 0)
            {
                using var qemu = Process.GetProcessById(_qemuProcessId);
                qemu.Kill();
            }
        }
        catch (ArgumentException)
        {
            // already gone
        }
        catch (InvalidOperationException)
        {
            // already gone
        }
    }

    private string SerialTail()
    {
        string serial = Path.Combine(RunDirectory, "guest-serial.log");
        return File.Exists(serial) ? string.Join('\n', File.ReadLines(serial).TakeLast(30)) : string.Empty;
    }

    private static async Task<int> ReadProcessIdAsync(string pidFile)
    {
        for (int i = 0; i < 100 && !File.Exists(pidFile); i++)
        {
            await Task.Delay(100);
        }

        return int.Parse((await File.ReadAllTextAsync(pidFile)).Trim(), CultureInfo.InvariantCulture);
    }
}
