using System.Globalization;
using Targetd.Core.Processes;
using Targetd.Storage.Errors;

namespace Targetd.Storage.Pools.Zfs;

/// <summary>
/// What the ZFS block and fs pools share: reading properties, running a command that changes something with targetd's
/// message on failure, and targetd's copy (a snapshot, then a clone of it).
/// </summary>
internal sealed class ZfsTool(IProcessRunner runner, TimeProvider time)
{
    /// <summary>What <c>zfs</c> prints for a dataset that is not there.</summary>
    public const string MissingDataset = "dataset does not exist";

    /// <summary>What <c>zfs get -t TYPE</c> prints for a dataset of another type.</summary>
    public const string OtherType = "operation not applicable to datasets of this type";

    /// <summary>
    /// <c>zfs get -Hp[r] -t TYPE PROPERTIES DATASET</c>; a dataset that does not exist lists nothing, as targetd reads it.
    /// </summary>
    /// <exception cref="StorageException">-303 when <c>zfs</c> fails for another reason.</exception>
    public async Task<ZfsProperties> GetAsync(string type, string properties, bool recursive, string dataset, CancellationToken cancellationToken)
    {
        var command = ZfsCommands.Get(type, properties, recursive, dataset);
        var result = await runner.RunAsync(command, cancellationToken).ConfigureAwait(false);
        if (!result.Succeeded && result.StandardError.Contains(MissingDataset, StringComparison.Ordinal))
        {
            return ZfsProperties.Parse(string.Empty);
        }

        return ZfsProperties.Parse(result.EnsureSucceeded(command).StandardOutput);
    }

    /// <summary>
    /// Whether a dataset of that name exists, as targetd's <c>fs_info</c> and <c>vol_info</c> ask:
    /// <c>zfs get -Hp -t TYPE PROPERTIES DATASET</c>. A dataset of another type takes the name too.
    /// </summary>
    public async Task<bool> ExistsAsync(string type, string properties, string dataset, CancellationToken cancellationToken)
    {
        var command = ZfsCommands.Get(type, properties, recursive: false, dataset);
        var result = await runner.RunAsync(command, cancellationToken).ConfigureAwait(false);
        if (result.Succeeded)
        {
            return ZfsProperties.Parse(result.StandardOutput).Contains(dataset);
        }

        if (result.StandardError.Contains(MissingDataset, StringComparison.Ordinal))
        {
            return false;
        }

        if (result.StandardError.Contains(OtherType, StringComparison.Ordinal))
        {
            return true;
        }

        result.EnsureSucceeded(command);
        return true;
    }

    /// <summary>Runs a command that changes something; a failure is -303 with targetd's <paramref name="failure"/> message.</summary>
    public async Task<ProcessResult> RunAsync(ProcessCommand command, string failure, CancellationToken cancellationToken)
    {
        var result = await runner.RunAsync(command, cancellationToken).ConfigureAwait(false);
        return result.Succeeded ? result : throw Failed(failure, command, result);
    }

    /// <summary>
    /// Destroys a dataset and its snapshots (<c>zfs destroy -r</c>), as targetd's <c>destroy</c>: dependent clones are
    /// -32602 "Volume NAME on POOL has dependent clones and cannot be destroyed.", another failure -303.
    /// </summary>
    public async Task DestroyAsync(string parent, string name, CancellationToken cancellationToken)
    {
        var command = ZfsCommands.DestroyRecursive(parent + "/" + name);
        var result = await runner.RunAsync(command, cancellationToken).ConfigureAwait(false);
        if (result.Succeeded)
        {
            return;
        }

        throw result.StandardError.Contains("has dependent clones", StringComparison.Ordinal)
            ? new StorageException(StorageErrorKind.InvalidArgument, $"Volume {name} on {parent} has dependent clones and cannot be destroyed.", Cause(command, result))
            : Failed($"Could not destroy volume {name} on pool {parent}", command, result);
    }

    /// <summary>
    /// targetd's <c>_copy</c>: clones <paramref name="origin"/> as <paramref name="destination"/> (both under
    /// <paramref name="parent"/>) from its snapshot <paramref name="snapshot"/>, or from a new snapshot named
    /// <c>DESTINATION</c> followed by the epoch second when none is given. The snapshot stays: the clone depends on it,
    /// and so the origin cannot be destroyed while the clone exists. If the clone fails, a snapshot made for it is
    /// destroyed again.
    /// </summary>
    public async Task CloneAsync(string parent, string origin, string? snapshot, string destination, long? volumeSize, CancellationToken cancellationToken)
    {
        bool made = snapshot is null;
        snapshot ??= destination + time.GetUtcNow().ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        string full = $"{parent}/{origin}@{snapshot}";
        if (made)
        {
            await RunAsync(ZfsCommands.Snapshot(full), $"Could not create snapshot of {origin} on pool {parent}", cancellationToken).ConfigureAwait(false);
        }

        var clone = ZfsCommands.Clone(full, $"{parent}/{destination}", volumeSize);
        var result = await runner.RunAsync(clone, cancellationToken).ConfigureAwait(false);
        if (!result.Succeeded)
        {
            if (made)
            {
                await runner.RunAsync(ZfsCommands.DestroyRecursive(full), CancellationToken.None).ConfigureAwait(false);
            }

            throw Failed($"Could not create clone of {origin}@{snapshot} on pool {parent}", clone, result);
        }
    }

    /// <summary>targetd's -153 when <c>zfs_enable_copy</c> is off.</summary>
    public static StorageException CopyDisabled() =>
        new(StorageErrorKind.NotSupported, "Copy on ZFS disabled. Consult manual before enabling it.");

    private static StorageException Failed(string message, ProcessCommand command, ProcessResult result) =>
        new(StorageErrorKind.CommandFailed, message, Cause(command, result));

    /// <summary>What <c>zfs</c> said, kept as the cause for the log; the client sees targetd's message.</summary>
    private static InvalidOperationException Cause(ProcessCommand command, ProcessResult result) =>
        new(string.Create(CultureInfo.InvariantCulture, $"{command} exited {result.ExitCode}: {result.StandardError.Trim()}"));
}
