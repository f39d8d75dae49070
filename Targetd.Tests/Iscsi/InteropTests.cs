using System.Text.RegularExpressions;
using Targetd.Iscsi;
using Targetd.Iscsi.Targets;

namespace Targetd.Tests.Iscsi;

/// <summary>The target driven by libiscsi's tools and qemu-img over 127.0.0.1.</summary>
[Category("Interop")]
[NonParallelizable]
public sealed partial class InteropTests
{
    private const long Size = 64L * 1024 * 1024;
    private const long ConformanceSize = 256L * 1024 * 1024;

    [Test]
    [CancelAfter(60000)]
    public async Task Iscsi_ls_discovers_the_target_and_its_lun()
    {
        await using var target = await FileBackedTarget.StartAsync(Size);

        var (exit, output) = await InteropTool.RunAsync("iscsi-ls", ["-s", $"iscsi://{target.Address}"]);

        exit.Should().Be(0, output);
        output.Should().Contain($"Target:{FileBackedTarget.TargetName} Portal:{target.Address},1");
        output.Should().MatchRegex(@"Lun:0\s+Type:DIRECT_ACCESS");
        await WaitForNoSessionsAsync(target);
    }

    [Test]
    [CancelAfter(60000)]
    public async Task Iscsi_ls_through_one_portal_discovers_every_portal_of_the_target()
    {
        await using var target = await FileBackedTarget.StartAsync(Size);
        await using var second = new IscsiPortal(target.Registry, new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0));
        await second.StartAsync();

        var (exit, output) = await InteropTool.RunAsync("iscsi-ls", ["-s", $"iscsi://{target.Address}"]);

        exit.Should().Be(0, output);
        output.Should().Contain($"Target:{FileBackedTarget.TargetName} Portal:{target.Address},1")
            .And.Contain($"Target:{FileBackedTarget.TargetName} Portal:127.0.0.1:{second.LocalEndPoint!.Port},1");
        await WaitForNoSessionsAsync(target);
    }

    [Test]
    [CancelAfter(60000)]
    public async Task Iscsi_inq_and_readcapacity16_answer()
    {
        await using var target = await FileBackedTarget.StartAsync(Size);

        var (inqExit, inquiry) = await InteropTool.RunAsync("iscsi-inq", [target.LunUrl()]);
        var (serialExit, serial) = await InteropTool.RunAsync("iscsi-inq", ["-e", "1", "-c", "128", target.LunUrl()]);
        var (capExit, capacity) = await InteropTool.RunAsync("iscsi-readcapacity16", [target.LunUrl()]);

        inqExit.Should().Be(0, inquiry);
        inquiry.Should().Contain("Peripheral Device Type:DIRECT_ACCESS").And.Contain("Vendor:TARGETD");
        serialExit.Should().Be(0, serial);
        serial.Should().MatchRegex(@"Unit Serial Number:\[[0-9a-f]{24}\]");
        capExit.Should().Be(0, capacity);
        capacity.Should().Contain($"RETURNED LOGICAL BLOCK ADDRESS:{(Size / 512) - 1}");
        capacity.Should().Contain("LOGICAL BLOCK LENGTH IN BYTES:512");
        capacity.Should().Contain($"Total size:{Size}");
    }

    [Test]
    [CancelAfter(120000)]
    public async Task Qemu_img_convert_into_the_lun_and_back_is_byte_identical()
    {
        await using var target = await FileBackedTarget.StartAsync(Size);
        string source = Path.Combine(target.Directory, "source.raw");
        string back = Path.Combine(target.Directory, "back.raw");
        var data = new byte[Size];
        new Random(11).NextBytes(data.AsSpan(0, (int)(Size / 2)));
        await File.WriteAllBytesAsync(source, data);

        var (toExit, toOutput) = await InteropTool.RunAsync("qemu-img", ["convert", "-n", "-f", "raw", "-O", "raw", source, target.LunUrl()], timeoutSeconds: 100);
        var (fromExit, fromOutput) = await InteropTool.RunAsync("qemu-img", ["convert", "-f", "raw", "-O", "raw", target.LunUrl(), back], timeoutSeconds: 100);

        toExit.Should().Be(0, toOutput);
        fromExit.Should().Be(0, fromOutput);
        (await File.ReadAllBytesAsync(back)).AsSpan().SequenceEqual(data).Should().BeTrue("the image read back equals the source");
        await target.Device.FlushAsync();
        (await File.ReadAllBytesAsync(target.ImagePath)).AsSpan().SequenceEqual(data).Should().BeTrue("the backing file holds the source");
        await WaitForNoSessionsAsync(target);
    }

    [Test]
    [CancelAfter(60000)]
    public async Task Chap_one_way_admits_the_right_secret_and_rejects_a_wrong_one()
    {
        await using var target = await FileBackedTarget.StartAsync(Size);
        target.Target.Chap = new ChapCredentials("alice", "alice-secret-12");

        var (goodExit, good) = await InteropTool.RunAsync("iscsi-inq", [target.LunUrl("alice%alice-secret-12")]);
        var (badExit, bad) = await InteropTool.RunAsync("iscsi-inq", [target.LunUrl("alice%not-the-secret")]);
        var (noneExit, _) = await InteropTool.RunAsync("iscsi-inq", [target.LunUrl()]);

        goodExit.Should().Be(0, good);
        good.Should().Contain("Vendor:TARGETD");
        badExit.Should().NotBe(0, bad);
        noneExit.Should().NotBe(0);
        await WaitForNoSessionsAsync(target);
    }

    [Test]
    [CancelAfter(60000)]
    public async Task Chap_mutual_authenticates_both_ways()
    {
        await using var target = await FileBackedTarget.StartAsync(Size);
        target.Target.Chap = new ChapCredentials("alice", "alice-secret-12", "target", "target-secret-34");
        var rightTarget = new Dictionary<string, string>
        {
            ["LIBISCSI_CHAP_TARGET_USERNAME"] = "target",
            ["LIBISCSI_CHAP_TARGET_PASSWORD"] = "target-secret-34",
        };
        var wrongTarget = new Dictionary<string, string>
        {
            ["LIBISCSI_CHAP_TARGET_USERNAME"] = "target",
            ["LIBISCSI_CHAP_TARGET_PASSWORD"] = "some-other-secret",
        };

        var (goodExit, good) = await InteropTool.RunAsync("iscsi-inq", [target.LunUrl("alice%alice-secret-12")], rightTarget);
        var (badExit, bad) = await InteropTool.RunAsync("iscsi-inq", [target.LunUrl("alice%alice-secret-12")], wrongTarget);

        goodExit.Should().Be(0, good);
        badExit.Should().NotBe(0, "the initiator must refuse a target that cannot prove the secret it expects: " + bad);
        await WaitForNoSessionsAsync(target);
    }

    /// <summary>
    /// libiscsi answers the target's NOP-In pings: through qemu-io, a session idle for many ping intervals keeps its
    /// one connection (a reconnection would show as a second session) and then reads what it wrote.
    /// </summary>
    [Test]
    [CancelAfter(60000)]
    public async Task Qemu_io_over_libiscsi_answers_keepalive_pings_and_keeps_its_session()
    {
        var timeouts = ConnectionTimeouts.Default with { NopInInterval = TimeSpan.FromMilliseconds(200), NopInResponse = TimeSpan.FromSeconds(1) };
        await using var target = await FileBackedTarget.StartAsync(Size, timeouts: timeouts);
        var sessions = new HashSet<(string Isid, ushort Tsih)>();
        using var watching = new CancellationTokenSource();
        var watcher = Task.Run(async () =>
        {
            while (!watching.IsCancellationRequested)
            {
                foreach (var session in target.Registry.Sessions.Where(s => !s.IsDiscovery))
                {
                    lock (sessions)
                    {
                        sessions.Add((session.Isid, session.Tsih));
                    }
                }

                await Task.Delay(20);
            }
        });

        var (exit, output) = await InteropTool.RunAsync(
            "qemu-io", ["-f", "raw", "-c", "write -P 0x3c 0 64k", "-c", "sleep 4000", "-c", "read -P 0x3c 0 64k", target.LunUrl()], timeoutSeconds: 40);
        await watching.CancelAsync();
        await watcher;

        exit.Should().Be(0, output);
        output.Should().NotContain("Pattern verification failed");
        sessions.Should().ContainSingle("libiscsi answered every ping, so the target never closed its connection: " + output);
        await WaitForNoSessionsAsync(target);
    }

    /// <summary>
    /// The whole libiscsi conformance suite, destructive tests included, with a second initiator name and a second
    /// path to the same LUN (the multipath and reservation tests need both).
    /// </summary>
    [Test]
    [CancelAfter(660000)]
    public async Task Iscsi_test_cu_full_suite_has_no_failures()
    {
        await using var target = await FileBackedTarget.StartAsync(ConformanceSize);
        string url = target.LunUrl();

        var (_, output) = await InteropTool.RunAsync(
            "iscsi-test-cu",
            ["--dataloss", "-v", "-i", "iqn.2024-01.net.targetd.test:initiator-1", "-I", "iqn.2024-01.net.targetd.test:initiator-2", "-t", "ALL", url, url],
            timeoutSeconds: 600);
        string log = Path.Combine(TestContext.CurrentContext.WorkDirectory, "iscsi-test-cu.log");
        await File.WriteAllTextAsync(log, output);
        TestContext.AddTestAttachment(log);

        var score = TestCuScore.Parse(output);
        await TestContext.Progress.WriteLineAsync($"iscsi-test-cu --dataloss -t ALL: {score}");
        await TestContext.Progress.WriteLineAsync("skipped: " + string.Join(", ", score.Skipped));
        score.Failed.Should().BeEmpty(output);
        (score.Clean.Count + score.Skipped.Count).Should().BeGreaterThan(200, "the whole suite ran");
        score.Clean.Should().Contain(["ProutReserve.AccessEA", "Reserve6.2Initiators", "MultipathIO.Reset"]);
        score.Clean.Count.Should().BeGreaterThanOrEqualTo(204, "no test that ran clean before may stop doing so");
        score.Clean.Should().Contain(
            ["ReportSupportedOpcodes.Simple", "ReportSupportedOpcodes.OneCommand", "Read10.DpoFua", "Verify10.Dpo", "Write16.DpoFua"],
            "REPORT SUPPORTED OPERATION CODES reports the table's usage data, DPO and FUA included");
    }

    /// <summary>The write-protection suite needs a LUN that is read-only from the start, so it runs on its own.</summary>
    [Test]
    [CancelAfter(120000)]
    public async Task Iscsi_test_cu_read_only_suite_passes_on_a_write_protected_lun()
    {
        await using var target = await FileBackedTarget.StartAsync(ConformanceSize, readOnly: true);

        var (_, output) = await InteropTool.RunAsync("iscsi-test-cu", ["--dataloss", "-v", "-t", "SCSI.ReadOnly", target.LunUrl()], timeoutSeconds: 100);

        var score = TestCuScore.Parse(output);
        await TestContext.Progress.WriteLineAsync($"iscsi-test-cu --dataloss -t SCSI.ReadOnly (read-only LUN): {score}");
        score.Failed.Should().BeEmpty(output);
        score.Clean.Should().Contain("ReadOnly.ReadOnlySBC", output);
    }

    /// <summary>
    /// The whole suite again with --allow-sanitize, over one path: the SANITIZE tests run too (the reservation one
    /// leaves a RESERVE(6) held by the second path when that path is a multipath URL, so they cannot share a run
    /// with the multipath tests).
    /// </summary>
    [Test]
    [CancelAfter(660000)]
    public async Task Iscsi_test_cu_full_suite_with_sanitize_allowed_has_no_failures()
    {
        await using var target = await FileBackedTarget.StartAsync(ConformanceSize);

        var (_, output) = await InteropTool.RunAsync(
            "iscsi-test-cu",
            ["--dataloss", "--allow-sanitize", "-v", "-i", "iqn.2024-01.net.targetd.test:initiator-1", "-I", "iqn.2024-01.net.targetd.test:initiator-2", "-t", "ALL", target.LunUrl()],
            timeoutSeconds: 600);
        string log = Path.Combine(TestContext.CurrentContext.WorkDirectory, "iscsi-test-cu-sanitize.log");
        await File.WriteAllTextAsync(log, output);
        TestContext.AddTestAttachment(log);

        var score = TestCuScore.Parse(output);
        await TestContext.Progress.WriteLineAsync($"iscsi-test-cu --dataloss --allow-sanitize -t ALL: {score}");
        await TestContext.Progress.WriteLineAsync("skipped: " + string.Join(", ", score.Skipped));
        score.Failed.Should().BeEmpty(output);
        score.Clean.Should().Contain(["Sanitize.BlockErase", "Sanitize.ExitFailureMode", "Sanitize.InvalidServiceAction"], output);
    }

    private static async Task WaitForNoSessionsAsync(FileBackedTarget target)
    {
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (target.Registry.Sessions.Count > 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        target.Registry.Sessions.Should().BeEmpty();
    }
}
