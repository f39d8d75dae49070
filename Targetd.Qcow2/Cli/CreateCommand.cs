namespace Targetd.Qcow2.Cli;

/// <summary><c>create [-f qcow2] [-o OPTIONS] [-b BACKING -F FMT] FILE [SIZE]</c>.</summary>
internal static class CreateCommand
{
    public static async Task<int> RunAsync(IReadOnlyList<string> args, TextWriter output, CancellationToken cancellationToken)
    {
        var parsed = CliArguments.Parse(args, new HashSet<string> { "-f", "-o", "-b", "-F" }, new HashSet<string> { "-q", "-u" });
        if (parsed.Get("-f") is { } format && format != "qcow2")
        {
            throw new CliException($"Unsupported format '{format}': only qcow2 images are created");
        }

        if (parsed.Positionals.Count is < 1 or > 2)
        {
            throw new CliException("Expecting image file name and optional size");
        }

        var options = ParseOptions(parsed.GetOptions()) with
        {
            BackingFile = parsed.Get("-b"),
            BackingFormat = parsed.Get("-F") is { } backingFormat ? QemuNames.ParseBackingFormat(backingFormat) : null,
            Size = parsed.Positionals.Count == 2 ? CliArguments.ParseSize(parsed.Positionals[1]) : null,
        };
        if (options.Size is null && options.BackingFile is null)
        {
            throw new CliException("Image creation needs a size parameter");
        }

        string path = parsed.Positionals[0];
        await using var image = await Qcow2Image.CreateAsync(path, options, cancellationToken).ConfigureAwait(false);
        if (!parsed.Has("-q"))
        {
            await output.WriteLineAsync($"Formatting '{path}', fmt=qcow2 cluster_size={image.ClusterSize} compression_type={QemuNames.Name(image.CompressionType)} size={image.Length}").ConfigureAwait(false);
        }

        return 0;
    }

    /// <summary>The <c>-o</c> options shared by create and convert.</summary>
    public static Qcow2CreateOptions ParseOptions(IReadOnlyDictionary<string, string> values)
    {
        var options = new Qcow2CreateOptions();
        foreach (var (key, value) in values)
        {
            options = key switch
            {
                "compat" => options with { Version = value switch { "0.10" or "v2" => 2, "1.1" or "v3" => 3, _ => throw new CliException($"Invalid compatibility level: '{value}'") } },
                "cluster_size" => options with { ClusterSize = (int)Math.Min(CliArguments.ParseSize(value), int.MaxValue) },
                "refcount_bits" => options with { RefcountBits = (int)Math.Min(CliArguments.ParseSize(value), int.MaxValue) },
                "extended_l2" => options with { ExtendedL2 = ImageTool.OnOff(value, key) },
                "lazy_refcounts" => options with { LazyRefcounts = ImageTool.OnOff(value, key) },
                "preallocation" => options with { Preallocation = QemuNames.ParsePreallocation(value) },
                "compression_type" => options with { CompressionType = QemuNames.ParseCompressionType(value) },
                "backing_file" => options with { BackingFile = value },
                "backing_fmt" => options with { BackingFormat = QemuNames.ParseBackingFormat(value) },
                "size" => options with { Size = CliArguments.ParseSize(value) },
                _ => throw new CliException($"Invalid parameter '{key}'"),
            };
        }

        return options;
    }
}
