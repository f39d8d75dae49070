using Targetd.Core.Errors;
using Targetd.Core.Names;

namespace Targetd.Tests.Core;

public sealed class ResourceNameTests
{
    [TestCase("vol1")]
    [TestCase("a")]
    [TestCase("My_Volume-01")]
    [TestCase("0123456789")]
    public void Valid_names_are_accepted(string name)
    {
        ResourceName.IsValid(name).Should().BeTrue();
        ResourceName.EnsureValid(name).Should().Be(name);
    }

    [TestCase("")]
    [TestCase(null)]
    [TestCase("has space")]
    [TestCase("slash/inside")]
    [TestCase("..")]
    [TestCase("dot.name")]
    [TestCase("semi;colon")]
    [TestCase("naïve")]
    [TestCase("tab\t")]
    [TestCase("new\nline")]
    public void Invalid_names_are_refused_with_targetds_error(string? name)
    {
        ResourceName.IsValid(name).Should().BeFalse();

        var ensure = () => ResourceName.EnsureValid(name);

        ensure.Should().Throw<TargetdException>()
            .Which.Should().Match<TargetdException>(e =>
                e.Code == TargetdErrorCode.InvalidArgument && e.Message == "Illegal name, should match: ^[a-zA-Z0-9_-]+$");
    }

    [Test]
    public void Names_longer_than_a_file_name_are_refused()
    {
        ResourceName.IsValid(new string('a', ResourceName.MaxLength)).Should().BeTrue();
        ResourceName.IsValid(new string('a', ResourceName.MaxLength + 1)).Should().BeFalse();
    }
}
