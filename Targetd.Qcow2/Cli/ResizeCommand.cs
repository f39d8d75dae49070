namespace Targetd.Qcow2.Cli;

/// <summary><c>resize [--shrink] FILE [+|-]SIZE</c>.</summary>
internal static class ResizeCommand
{
    public static async Task<int> RunAsync(IReadOnlyList<string> args, TextWriter output, CancellationToken cancellationToken)
    {
        var parsed = CliArguments.Parse(args, new HashSet<string> { "-f" }, new HashSet<string> { "--shrink", "-q" });
        if (parsed.Positionals.Count != 2)
        {
            throw new CliException("Expecting image file name and size");
        }

        await using var image = await Qcow2Image.OpenAsync(parsed.Positionals[0], new Qcow2OpenOptions { OpenBackingFile = true }, cancellationToken).ConfigureAwait(false);
        string sizeText = parsed.Positionals[1];
        long size = sizeText[0] switch
        {
            '+' => image.Length + CliArguments.ParseSize(sizeText[1..]),
            '-' => image.Length - CliArguments.ParseSize(sizeText[1..]),
            _ => CliArguments.ParseSize(sizeText),
        };
        if (size % 512 != 0)
        {
            // qemu-img resize refuses such a size rather than rounding it (the library rounds it up).
            throw new CliException("The new size must be a multiple of 512");
        }

        await image.ResizeAsync(size, parsed.Has("--shrink"), cancellationToken).ConfigureAwait(false);
        if (!parsed.Has("-q"))
        {
            await output.WriteLineAsync("Image resized.").ConfigureAwait(false);
        }

        return 0;
    }
}
