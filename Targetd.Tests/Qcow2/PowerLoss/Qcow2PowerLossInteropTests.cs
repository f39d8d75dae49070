using Targetd.Tests.Support;

namespace Targetd.Tests.Qcow2.PowerLoss;

/// <summary>
/// The power-loss states of <see cref="Qcow2PowerLossTests"/>, more of them, each also checked by
/// <c>qemu-img check</c>, which must find no corruption (exit code 0, or 3 for leaks only).
/// </summary>
[Category("Interop")]
public sealed class Qcow2PowerLossInteropTests
{
    private DirectoryInfo _directory = null!;

    [SetUp]
    public void SetUp()
    {
        ExternalTool.Require("qemu-img");
        _directory = Directory.CreateTempSubdirectory("targetd-qcow2-powerloss-qemu-");
    }

    [TearDown]
    public void TearDown() => _directory.Delete(recursive: true);

    public static IEnumerable<TestCaseData> Scenarios() =>
        PowerLossScenarios.All().Select((s, i) => new TestCaseData(s.Name, 2000 + i).SetName($"Power_loss_checked_by_qemu_{s.Name}"));

    [TestCaseSource(nameof(Scenarios))]
    [CancelAfter(60_000)]
    public async Task Every_crash_state_passes_qemu_img_check_and_our_engine(string scenario, int seed)
    {
        var report = await PowerLossRunner.RunAsync(PowerLossScenarios.All().Single(s => s.Name == scenario), _directory.FullName, randomStates: 60, seed, withQemu: true);
        report.Failures.Should().BeEmpty(report.ToString());
    }
}
