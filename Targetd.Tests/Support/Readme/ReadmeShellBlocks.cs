namespace Targetd.Tests.Support.Readme;

/// <summary>Extracts the fenced shell blocks of a Markdown file, as a reader would copy them into a shell.</summary>
internal static class ReadmeShellBlocks
{
    public static IReadOnlyList<ReadmeShellBlock> Parse(string markdown)
    {
        var blocks = new List<ReadmeShellBlock>();
        string heading = string.Empty;
        List<string>? commands = null;
        string pending = string.Empty;
        foreach (string raw in markdown.Split('\n'))
        {
            string line = raw.TrimEnd('\r');
            if (commands is null)
            {
                if (line.StartsWith('#'))
                {
                    heading = line.TrimStart('#').Trim();
                }
                else if (line.Trim() is "```sh" or "```bash" or "```shell")
                {
                    commands = [];
                }

                continue;
            }

            if (line.Trim() == "```")
            {
                if (pending.Length > 0)
                {
                    commands.Add(pending);
                    pending = string.Empty;
                }

                blocks.Add(new ReadmeShellBlock(heading, commands));
                commands = null;
                continue;
            }

            if (pending.Length == 0 && (line.Trim().Length == 0 || line.TrimStart().StartsWith('#')))
            {
                continue;
            }

            if (line.EndsWith('\\'))
            {
                pending += line[..^1].TrimEnd() + " ";
                continue;
            }

            commands.Add((pending + line.Trim()).Trim());
            pending = string.Empty;
        }

        return commands is null ? blocks : throw new FormatException("a fenced shell block is not closed");
    }
}
