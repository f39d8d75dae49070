using Targetd.Tests.Support;
using Targetd.Tests.Support.Readme;

namespace Targetd.Tests.Host;

public sealed class ReadmeShellBlocksTests
{
    [Test]
    public void Blocks_keep_their_heading_and_join_continued_lines()
    {
        const string markdown = """
            # Title
            text
            ## Use

            ```sh
            # a comment
            first --flag \
              value

            second
            ```

            ```json
            {"not": "shell"}
            ```
            ## Test
            ```bash
            dotnet test
            ```
            """;

        var blocks = ReadmeShellBlocks.Parse(markdown);

        blocks.Should().HaveCount(2);
        blocks[0].Heading.Should().Be("Use");
        blocks[0].Commands.Should().Equal("first --flag value", "second");
        blocks[1].Heading.Should().Be("Test");
        blocks[1].Commands.Should().Equal("dotnet test");
    }

    [Test]
    public void An_unclosed_block_is_an_error()
    {
        var parse = () => ReadmeShellBlocks.Parse("```sh\nls\n");

        parse.Should().Throw<FormatException>();
    }

    [Test]
    public void The_readme_has_commands_for_both_daemons()
    {
        var blocks = ReadmeShellBlocks.Parse(File.ReadAllText(Path.Combine(RepositoryRoot.Path, "README.md")));

        var commands = blocks.SelectMany(b => b.Commands).ToList();
        commands.Should().Contain(c => c.Contains("--project Targetd.Host.Http", StringComparison.Ordinal));
        commands.Should().Contain(c => c.Contains("--project Targetd.Host.Socket -- serve", StringComparison.Ordinal));
    }
}
