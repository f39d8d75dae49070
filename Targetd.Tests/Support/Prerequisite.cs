namespace Targetd.Tests.Support;

/// <summary>
/// A test that cannot run here because a tool or a privilege is missing: skipped on a developer's machine,
/// failed under CI (<c>CI=true</c>), where <c>.ci/run</c> installs everything the suites need, so a green run
/// never hides a suite that did not run.
/// </summary>
internal static class Prerequisite
{
    public static bool InContinuousIntegration =>
        string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    public static void Missing(string reason)
    {
        if (InContinuousIntegration)
        {
            throw new AssertionException($"CI=true and this test cannot run: {reason}");
        }

        Assert.Ignore(reason);
    }
}
