using Targetd.Core.Processes;

namespace Targetd.Storage.Pools.Zfs;

/// <summary>What targetd checks of its configured ZFS datasets when it starts (targetd-peer §4).</summary>
public static class ZfsDatasetCheck
{
    /// <summary>
    /// Checks that <c>zfs</c> runs and that every dataset exists and is a file system:
    /// <c>zfs get -Hp -t all type,name DATASET…</c>.
    /// </summary>
    /// <exception cref="ArgumentException">A rule of <see cref="ZfsNames.CheckConfigured"/> is broken, <c>zfs</c> is missing, or a dataset is missing or not a file system.</exception>
    public static async Task CheckAsync(IProcessRunner runner, IReadOnlyCollection<string> datasets, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(runner);
        ZfsNames.CheckConfigured(datasets);
        if (datasets.Count == 0)
        {
            return;
        }

        var result = await runner.RunAsync(ZfsCommands.Get("all", "type,name", recursive: false, [.. datasets]), cancellationToken).ConfigureAwait(false);
        if (result.ExitCode == ProcessResult.NotStartedExitCode && result.StandardOutput.Length == 0)
        {
            throw new ArgumentException("zfs_block_pools is set but no zfs command was found");
        }

        var properties = ZfsProperties.Parse(result.StandardOutput);
        foreach (string dataset in datasets)
        {
            string type = properties.Text(dataset, "type") ?? throw new ArgumentException($"ZFS dataset does not exist: {dataset}");
            if (type != "filesystem")
            {
                throw new ArgumentException($"ZFS dataset must be of 'filesystem' type. {dataset} is {type}");
            }
        }
    }
}
