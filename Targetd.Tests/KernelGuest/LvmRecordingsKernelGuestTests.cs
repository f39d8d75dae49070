using Targetd.Core.Processes;
using Targetd.Storage.Pools.Lvm;
using Targetd.Tests.Storage.Lvm;

namespace Targetd.Tests.KernelGuest;

/// <summary>
/// The lvm2 output the LVM unit tests replay (<see cref="LvmOutputs"/> and the refusals in the pool tests), printed
/// by real lvm2 in the kernel guest for the same command lines: a recording that drifts from lvm2 fails here.
/// </summary>
[Category("Interop")]
[Category("KernelGuest")]
[NonParallelizable]
public sealed class LvmRecordingsKernelGuestTests
{
    private const string Separator = "--- standard error ---";

    private Support.KernelGuest _guest = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _guest = await Support.KernelGuest.SharedAsync();
        await _guest.RunOkAsync("""
            set -e
            truncate -s 600M /srv/pv-rec.img
            L=$(losetup -f --show /srv/pv-rec.img)
            pvcreate -y $L; vgcreate vg0 $L
            lvcreate -y -L 200M -T vg0/tp
            lvcreate -y --type thin --name thin1 --virtualsize 64M --thinpool tp vg0
            lvcreate -y --type linear --name lv1 --size 8M vg0
            """);
    }

    [OneTimeTearDown]
    public async Task StopAsync() =>
        await _guest.RunAsync("""
            vgremove -f vg0
            for l in $(losetup -j /srv/pv-rec.img -O NAME -n); do losetup -d $l; done
            rm -f /srv/pv-rec.img
            """);

    [Test]
    public async Task The_report_of_a_missing_volume_group_is_as_recorded()
    {
        foreach (string program in new[] { "vgs", "lvs" })
        {
            var command = program == "vgs" ? LvmCommands.ReportVolumeGroup("vg-missing") : LvmCommands.ReportLogicalVolumes("vg-missing");
            var recorded = await new RecordingProcessRunner().FailVgNotFound(program).RunAsync(command);

            var real = await CaptureAsync(command);

            real.ExitCode.Should().Be(recorded.ExitCode);
            real.StandardError.Should().Be(recorded.StandardError.Replace("vg0", "vg-missing", StringComparison.Ordinal));
            Squeezed(real.StandardOutput).Should().Be(Squeezed(recorded.StandardOutput));
        }
    }

    [Test]
    public async Task Real_reports_parse_as_the_recorded_ones_do()
    {
        var groupReport = LvmCommands.ReportVolumeGroup("vg0");
        var volumeReport = LvmCommands.ReportLogicalVolumes("vg0");
        var groups = LvmReport.ParseVolumeGroups(groupReport, (await CaptureAsync(groupReport)).StandardOutput);
        var volumes = LvmReport.ParseLogicalVolumes(volumeReport, (await CaptureAsync(volumeReport)).StandardOutput);

        groups.Should().ContainSingle().Which.Name.Should().Be("vg0");
        volumes.Select(v => v.Name).Should().Equal("lv1", "thin1", "tp");
        var pool = volumes.Single(v => v.Name == "tp");
        pool.DataPercent.Should().NotBeNull();
        pool.MetadataPercent.Should().BeGreaterThan(0);
        var thin = volumes.Single(v => v.Name == "thin1");
        thin.PoolLv.Should().Be("tp");
        thin.MetadataPercent.Should().BeNull("lvm2 prints \"\" for a field that does not apply");
        volumes.Single(v => v.Name == "lv1").DataPercent.Should().BeNull();
    }

    [TestCase("lvextend --size 128M vg0/copy", "  Logical volume copy not found in volume group vg0.\n")]
    [TestCase("lvcreate --yes --type linear --name big --size 10G vg0", "  Volume group \"vg0\" has insufficient free space (")]
    [TestCase("lvextend --size 10G vg0/lv1", "  Insufficient free space: ")]
    public async Task Refusal_messages_are_as_recorded(string commandLine, string recordedStart)
    {
        string[] argv = commandLine.Split(' ');
        var real = await CaptureAsync(new ProcessCommand(argv[0], argv[1..]));

        real.ExitCode.Should().Be(5);
        real.StandardError.Should().StartWith(recordedStart);
    }

    [Test]
    public async Task Removing_an_open_volume_is_refused_as_recorded()
    {
        var real = await _guest.RunAsync("exec 3</dev/vg0/lv1; LVM_SUPPRESS_FD_WARNINGS=1 lvremove --yes vg0/lv1 2>&1 >/dev/null; echo \"exit $?\"");

        real.StandardOutput.Should().Be("  Logical volume vg0/lv1 in use.\nexit 5\n");
    }

    /// <summary>Runs an lvm2 command in the guest with its standard output and standard error kept apart.</summary>
    private async Task<ProcessResult> CaptureAsync(ProcessCommand command)
    {
        string line = string.Join(' ', [command.FileName, .. command.Arguments.Select(a => "'" + a + "'")]);
        string output = await _guest.RunOkAsync($"{line} >/tmp/lvm.out 2>/tmp/lvm.err; echo $?; cat /tmp/lvm.out; echo '{Separator}'; cat /tmp/lvm.err");
        int exitCode = int.Parse(output[..output.IndexOf('\n', StringComparison.Ordinal)], System.Globalization.CultureInfo.InvariantCulture);
        string rest = output[(output.IndexOf('\n', StringComparison.Ordinal) + 1)..];
        int separator = rest.LastIndexOf(Separator + "\n", StringComparison.Ordinal);
        string standardOutput = rest[..separator];
        string standardError = rest[(separator + Separator.Length + 1)..];
        return new ProcessResult(exitCode, standardOutput, standardError);
    }

    private static string Squeezed(string text) => string.Concat(text.Where(c => !char.IsWhiteSpace(c)));
}
