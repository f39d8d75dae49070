using NUnit.Framework.Interfaces;
using Targetd.Tests.Support;

namespace Targetd.Tests.Core;

[NonParallelizable]
public sealed class PrerequisiteTests
{
    private string? _ci;

    [SetUp]
    public void SetUp() => _ci = Environment.GetEnvironmentVariable("CI");

    [TearDown]
    public void TearDown() => Environment.SetEnvironmentVariable("CI", _ci);

    [Test]
    public void A_missing_tool_fails_the_test_under_ci()
    {
        Environment.SetEnvironmentVariable("CI", "true");

        var missing = () => Prerequisite.Missing("frobnicate is not installed");

        missing.Should().Throw<AssertionException>().WithMessage("*CI=true*frobnicate is not installed*");
    }

    [Test]
    public void A_missing_tool_skips_the_test_elsewhere()
    {
        Environment.SetEnvironmentVariable("CI", null);

        var missing = () => Prerequisite.Missing("frobnicate is not installed");

        missing.Should().Throw<IgnoreException>().WithMessage("frobnicate is not installed");
    }
}
