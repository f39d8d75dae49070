namespace Targetd.Tests.Qcow2.PowerLoss;

/// <summary>How a scenario fared: the log it recorded, the crash states tried and what failed in them.</summary>
internal sealed record PowerLossReport(string Scenario, int Seed, int Writes, int Flushes, int States, IReadOnlyList<string> Failures)
{
    public override string ToString() =>
        $"{Scenario}: {States} crash states tried from {Writes} writes and {Flushes} flushes, {Failures.Count} failure(s) (seed {Seed})";
}
