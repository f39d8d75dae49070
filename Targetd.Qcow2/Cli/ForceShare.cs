namespace Targetd.Qcow2.Cli;

/// <summary>
/// qemu-img's <c>-U</c> / <c>--force-share</c>: open an image without its locks, to read one that another process
/// (a daemon serving it, a VM) writes. Only reading may share: "force-share=on can only be used with read-only
/// images".
/// </summary>
internal static class ForceShare
{
    /// <summary>Whether -U was given; a command that writes the image refuses it.</summary>
    public static bool Given(CliArguments parsed, bool writing = false)
    {
        bool given = parsed.Has("-U") || parsed.Has("--force-share");
        return given && writing ? throw new CliException("force-share=on can only be used with read-only images") : given;
    }
}
