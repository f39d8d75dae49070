using Targetd.Core.BlockDevices;

namespace Targetd.Qcow2.Cli;

/// <summary>
/// <c>convert [-p] [-f FMT] [-O raw|qcow2] [-o OPTIONS] SRC DST</c>: copies the allocated, non-zero data of
/// the source, so the destination stays sparse.
/// </summary>
internal static class ConvertCommand
{
    private const int ChunkSize = 1 << 20;

    public static async Task<int> RunAsync(IReadOnlyList<string> args, TextWriter output, CancellationToken cancellationToken)
    {
        var parsed = CliArguments.Parse(args, new HashSet<string> { "-f", "-O", "-o", "-l" }, new HashSet<string> { "-p", "-q", "-n", "-U", "--force-share", "-c" });
        if (parsed.Positionals.Count != 2)
        {
            throw new CliException("Expecting one source and one destination file name");
        }

        string format = parsed.Get("-O") ?? "raw";
        if (format is not ("raw" or "qcow2"))
        {
            throw new CliException($"Unknown output format '{format}'");
        }

        string sourcePath = parsed.Positionals[0];
        string destinationPath = parsed.Positionals[1];
        var options = CreateCommand.ParseOptions(parsed.GetOptions());
        if (format == "raw" && parsed.GetOptions().Count > 0)
        {
            throw new CliException("Raw images take no creation options");
        }

        bool sourceIsQcow2 = parsed.Get("-f") switch
        {
            "qcow2" => true,
            "raw" => false,
            null => await Qcow2Image.IsQcow2Async(sourcePath, cancellationToken).ConfigureAwait(false),
            var other => throw new CliException($"Unknown source format '{other}'"),
        };

        bool lockSource = !ForceShare.Given(parsed);
        await using IBlockDevice source = sourceIsQcow2
            ? await Qcow2Image.OpenAsync(sourcePath, new Qcow2OpenOptions { ReadOnly = true, Snapshot = SnapshotName(parsed.Get("-l")), Lock = lockSource }, cancellationToken).ConfigureAwait(false)
            : RawBackingFile.Open(sourcePath, lockImage: lockSource);
        await using IBlockDevice destination = format == "qcow2"
            ? await Qcow2Image.CreateAsync(destinationPath, options with { Size = source.Length, BackingFile = null }, cancellationToken).ConfigureAwait(false)
            : CreateRaw(destinationPath, source.Length);

        bool compress = parsed.Has("-c");
        if (compress && destination is not Qcow2Image)
        {
            throw new CliException("Compression is only available for qcow2 output");
        }

        var progress = parsed.Has("-p") && !parsed.Has("-q") ? new QemuProgress(output) : null;
        progress?.Report(0);
        await CopyAsync(source, destination, compress, progress, cancellationToken).ConfigureAwait(false);
        await destination.FlushAsync(cancellationToken).ConfigureAwait(false);
        if (progress is not null)
        {
            progress.Report(100);
            progress.End();
        }

        return 0;
    }

    /// <summary>
    /// Copies the source's allocated, non-zero data, reporting the percentage of the allocated extents done (as
    /// qemu-img convert measures its progress over the data it has to copy).
    /// </summary>
    private static async Task CopyAsync(IBlockDevice source, IBlockDevice destination, bool compress, QemuProgress? progress, CancellationToken cancellationToken)
    {
        int chunkSize = compress ? ((Qcow2Image)destination).ClusterSize : ChunkSize;
        var buffer = new byte[chunkSize];
        var extents = await AlignedExtentsAsync(source, chunkSize, cancellationToken).ConfigureAwait(false);
        long total = extents.Sum(e => e.Length);
        long done = 0;
        foreach (var extent in extents)
        {
            for (long offset = extent.Offset; offset < extent.End; offset += chunkSize)
            {
                int count = (int)Math.Min(chunkSize, extent.End - offset);
                var chunk = buffer.AsMemory(0, count);
                await source.ReadAsync(offset, chunk, cancellationToken).ConfigureAwait(false);
                if (chunk.Span.IndexOfAnyExcept((byte)0) < 0)
                {
                    // Zeroes need not be written: the new image reads as zeroes already.
                }
                else if (compress)
                {
                    await ((Qcow2Image)destination).WriteCompressedAsync(offset, chunk, cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    await destination.WriteAsync(offset, chunk, cancellationToken).ConfigureAwait(false);
                }

                done += count;
                progress?.Report(100.0 * done / total);
            }
        }
    }

    /// <summary>The source's allocated extents widened to whole chunks (compressed writes take whole clusters).</summary>
    private static async Task<List<BlockExtent>> AlignedExtentsAsync(IBlockDevice source, int chunk, CancellationToken cancellationToken)
    {
        var aligned = new List<BlockExtent>();
        foreach (var extent in await source.GetAllocatedExtentsAsync(0, source.Length, cancellationToken).ConfigureAwait(false))
        {
            long start = extent.Offset / chunk * chunk;
            long end = Math.Min(source.Length, (extent.End + chunk - 1) / chunk * chunk);
            if (aligned.Count > 0 && aligned[^1].End >= start)
            {
                aligned[^1] = new BlockExtent(aligned[^1].Offset, Math.Max(aligned[^1].End, end) - aligned[^1].Offset);
            }
            else
            {
                aligned.Add(new BlockExtent(start, end - start));
            }
        }

        return aligned;
    }

    /// <summary><c>-l NAME</c>, <c>-l snapshot.name=NAME</c> or <c>-l snapshot.id=ID</c>.</summary>
    private static string? SnapshotName(string? option) => option switch
    {
        null => null,
        _ when option.StartsWith("snapshot.name=", StringComparison.Ordinal) => option["snapshot.name=".Length..],
        _ when option.StartsWith("snapshot.id=", StringComparison.Ordinal) => option["snapshot.id=".Length..],
        _ => option,
    };

    private static FileBlockDevice CreateRaw(string path, long length)
    {
        using (var stream = new FileStream(path, FileMode.Create, FileAccess.Write))
        {
            stream.SetLength(length);
        }

        return FileBlockDevice.Open(path);
    }
}
