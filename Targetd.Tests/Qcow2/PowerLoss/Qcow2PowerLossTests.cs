namespace Targetd.Tests.Qcow2.PowerLoss;

/// <summary>
/// Power cuts simulated on the qcow2 engine's recorded writes and flushes (the way dm-log-writes and CrashMonkey
/// test file systems): every flush point, random subsets and orders of the writes after one, and torn writes. In
/// each state the image must open and check clean through our engine (leaks aside) and hold every flushed write.
/// </summary>
public sealed class Qcow2PowerLossTests
{
    private DirectoryInfo _directory = null!;

    [SetUp]
    public void SetUp() => _directory = Directory.CreateTempSubdirectory("targetd-qcow2-powerloss-");

    [TearDown]
    public void TearDown() => _directory.Delete(recursive: true);

    public static IEnumerable<TestCaseData> Scenarios() =>
        PowerLossScenarios.All().Select((s, i) => new TestCaseData(s.Name, 1000 + i).SetName($"Power_loss_{s.Name}"));

    [TestCaseSource(nameof(Scenarios))]
    public async Task Every_crash_state_opens_checks_clean_and_holds_the_flushed_writes(string scenario, int seed)
    {
        var report = await PowerLossRunner.RunAsync(PowerLossScenarios.All().Single(s => s.Name == scenario), _directory.FullName, randomStates: 24, seed, withQemu: false);
        report.Failures.Should().BeEmpty(report.ToString());
    }
}
