using System.Globalization;
using System.Text.RegularExpressions;
using Targetd.Tests.Support;

namespace Targetd.Tests.Host;

/// <summary>
/// The systemd units in packaging/ as systemd reads them: <c>systemd-analyze verify</c> reports nothing and
/// <c>systemd-analyze security</c> scores their hardening, offline in a root that holds the system's units and
/// the two daemons where the units run them.
/// </summary>
[Category("Interop")]
public sealed partial class ServiceUnitsInteropTests
{
    private DirectoryInfo _root = null!;

    [SetUp]
    public void SetUp()
    {
        ExternalTool.Require("systemd-analyze");
        _root = Directory.CreateTempSubdirectory("targetd-units-");
        string systemUnits = new[] { "/usr/lib/systemd/system", "/lib/systemd/system" }.FirstOrDefault(Directory.Exists)
            ?? throw new AssertionException("no system units folder");
        CopyTree(systemUnits, Path.Combine(_root.FullName, "usr/lib/systemd/system"));
        Directory.CreateDirectory(Path.Combine(_root.FullName, "etc/systemd/system"));
        string bin = Directory.CreateDirectory(Path.Combine(_root.FullName, "usr/local/bin")).FullName;
        foreach (string daemon in new[] { "targetd", "qcow2target" })
        {
            // verify checks that ExecStart's program exists and is executable: the installed daemon's place.
            string program = Path.Combine(bin, daemon);
            File.WriteAllText(program, "#!/bin/sh\n");
            File.SetUnixFileMode(program, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    [TearDown]
    public void TearDown() => _root.Delete(recursive: true);

    [TestCase("targetd.service", 5.5)]
    [TestCase("qcow2target.service", 2.5)]
    public async Task The_unit_verifies_clean_and_its_exposure_stays_at_most(string unit, double exposure)
    {
        Install(File.ReadAllText(Path.Combine(RepositoryRoot.Path, "packaging", unit)), unit);

        var verify = await ExternalTool.RunAsync("systemd-analyze", "verify", $"--root={_root.FullName}", unit);
        var security = await ExternalTool.RunAsync("systemd-analyze", "security", "--offline=yes", $"--root={_root.FullName}", unit);

        verify.ExitCode.Should().Be(0, verify.StandardError);
        (verify.StandardOutput + verify.StandardError).Should().BeEmpty("systemd-analyze verify reports nothing on a clean unit");
        var level = ExposureLevel().Match(security.StandardOutput);
        level.Success.Should().BeTrue(security.StandardOutput + security.StandardError);
        double.Parse(level.Groups[1].Value, CultureInfo.InvariantCulture).Should().BeLessThanOrEqualTo(exposure);
    }

    [Test]
    public async Task A_misspelled_key_is_reported()
    {
        string text = File.ReadAllText(Path.Combine(RepositoryRoot.Path, "packaging", "targetd.service"))
            .Replace("ProtectHome=true", "ProtectHom=true", StringComparison.Ordinal);
        Install(text, "targetd.service");

        var verify = await ExternalTool.RunAsync("systemd-analyze", "verify", $"--root={_root.FullName}", "targetd.service");

        verify.StandardError.Should().Contain("ProtectHom");
    }

    private void Install(string text, string unit) =>
        File.WriteAllText(Path.Combine(_root.FullName, "etc/systemd/system", unit), text);

    private static void CopyTree(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var entry in new DirectoryInfo(from).EnumerateFileSystemInfos())
        {
            string target = Path.Combine(to, entry.Name);
            if (entry.LinkTarget is { } link)
            {
                File.CreateSymbolicLink(target, link);
            }
            else if (entry is DirectoryInfo)
            {
                CopyTree(entry.FullName, target);
            }
            else
            {
                File.Copy(entry.FullName, target);
            }
        }
    }

    [GeneratedRegex(@"Overall exposure level for \S+: (\d+\.\d+)")]
    private static partial Regex ExposureLevel();
}
