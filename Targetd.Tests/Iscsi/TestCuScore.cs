using System.Text.RegularExpressions;

namespace Targetd.Tests.Iscsi;

/// <summary>
/// The score of a verbose iscsi-test-cu log: tests that passed cleanly, passed only by logging [SKIPPED] (libiscsi
/// counts those as passed), and failed, each test judged by the CUnit verdict that closes it. A test with no
/// verdict (the run hung or died inside it) counts as failed.
/// </summary>
internal sealed partial record TestCuScore(IReadOnlyList<string> Clean, IReadOnlyList<string> Skipped, IReadOnlyList<string> Failed)
{
    public static TestCuScore Parse(string log)
    {
        var verdicts = new Dictionary<string, (bool Skipped, bool? Passed)>(StringComparer.Ordinal);
        var order = new List<string>();
        string? suite = null;
        string? current = null;
        foreach (string raw in log.Split('\n'))
        {
            string line = raw.TrimEnd('\r');
            if (SuiteLine().Match(line) is { Success: true } suiteMatch)
            {
                suite = suiteMatch.Groups[1].Value;
                current = null;
                continue;
            }

            if (TestLine().Match(line) is { Success: true } testMatch)
            {
                current = $"{suite}.{testMatch.Groups[1].Value}";
                verdicts[current] = (false, null);
                order.Add(current);
                line = testMatch.Groups[2].Value;
                if (LeadingPassed().IsMatch(line))
                {
                    verdicts[current] = (false, true);
                }
            }

            if (current is null)
            {
                continue;
            }

            var (skipped, passed) = verdicts[current];
            if (passed is not null)
            {
                continue;
            }

            if (line.Contains("[SKIPPED]", StringComparison.Ordinal))
            {
                skipped = true;
            }

            if (TrailingPassed().IsMatch(line))
            {
                passed = true;
            }
            else if (line.Trim() == "FAILED" || line.TrimEnd().EndsWith("...FAILED", StringComparison.Ordinal))
            {
                passed = false;
            }

            verdicts[current] = (skipped, passed);
        }

        var clean = order.Where(t => verdicts[t] is (false, true)).ToArray();
        var skippedTests = order.Where(t => verdicts[t] is (true, true)).ToArray();
        var failed = order.Where(t => verdicts[t].Passed != true).ToArray();
        return new TestCuScore(clean, skippedTests, failed);
    }

    public override string ToString() =>
        $"tests={Clean.Count + Skipped.Count + Failed.Count} clean={Clean.Count} skipped={Skipped.Count} failed={Failed.Count}";

    [GeneratedRegex(@"^Suite: (\S+)")]
    private static partial Regex SuiteLine();

    [GeneratedRegex(@"^  Test: (\S+) \.\.\.(.*)$")]
    private static partial Regex TestLine();

    [GeneratedRegex(@"^\s*passed\b")]
    private static partial Regex LeadingPassed();

    [GeneratedRegex(@"(^|\s)passed\s*$")]
    private static partial Regex TrailingPassed();
}
