using System.Globalization;
using Targetd.Storage.Errors;
using Targetd.Core.Processes;
using Targetd.Storage.Interop;

namespace Targetd.Storage.Nfs;

/// <summary>
/// NFS exports through nfs-utils' <c>exportfs</c> (targetd-peer §7.7): the list is what <c>exportfs -v</c> reports,
/// additions and removals are applied with <c>exportfs</c> and kept in an <see cref="ExportsFile"/>. Hosts, paths
/// and options are checked before anything runs; a step that fails undoes the steps before it.
/// </summary>
public sealed class NfsExportService(IProcessRunner runner, ExportsFile file, bool allowChown = false)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(1);

    /// <summary>The exports file.</summary>
    public ExportsFile File => file;

    /// <summary>"nfs_export_auth_list() → ["sys","krb5","krb5i","krb5p"] (constant)".</summary>
    public static IReadOnlyList<string> AuthList() => NfsOptions.SecurityFlavours;

    /// <summary>Every export the NFS server has (not only targetd's), from <c>exportfs -v</c>.</summary>
    public async Task<IReadOnlyList<NfsExport>> ListAsync(CancellationToken cancellationToken = default)
    {
        var command = Exportfs("-v");
        var result = (await runner.RunAsync(command, cancellationToken).ConfigureAwait(false)).EnsureSucceeded(command);
        return ExportfsListing.Parse(result.StandardOutput);
    }

    /// <summary>
    /// Exports again what the exports file keeps and the NFS server lacks (as after a reboot when the file is not
    /// one the NFS server reads itself).
    /// </summary>
    /// <returns>One line for each export that could not be made again.</returns>
    public async Task<IReadOnlyList<string>> RestoreAsync(CancellationToken cancellationToken = default)
    {
        var saved = await file.ReadAsync(cancellationToken).ConfigureAwait(false);
        if (saved.Count == 0)
        {
            return [];
        }

        var live = await ListAsync(cancellationToken).ConfigureAwait(false);
        var failures = new List<string>();
        foreach (var export in saved.Where(s => !live.Any(l => l.Host == s.Host && l.Path == s.Path)))
        {
            try
            {
                await ExportAsync(export, cancellationToken).ConfigureAwait(false);
            }
            catch (StorageException ex)
            {
                failures.Add($"{export.Host}:{export.Path}: {ex.Message}");
            }
        }

        return failures;
    }

    /// <summary>Exports <paramref name="path"/> to <paramref name="host"/> (again, with new options, when it is exported already).</summary>
    /// <returns>The export as written to the exports file.</returns>
    public async Task<NfsExport> AddAsync(string host, string path, IReadOnlyList<string> options, string? chown, CancellationToken cancellationToken = default)
    {
        // targetd-peer §7.7 nfs_export_add: options checked (-32602), chown "uid" or "uid:gid" (-153 unless allow_chown,
        // -32602 when not numeric), then "exportfs [-o <opts>] <host>:<path>" and the export persisted.
        string client = NfsHost.Validate(host);
        string folder = CheckPath(path);
        var checkedOptions = NfsOptions.Validate(options);
        (int Uid, int Gid)? owner = chown is null ? null : ParseOwner(chown);
        var before = (await ListAsync(cancellationToken).ConfigureAwait(false)).FirstOrDefault(e => e.Host == client && e.Path == folder);
        var saved = await file.ReadAsync(cancellationToken).ConfigureAwait(false);
        var export = new NfsExport(client, folder, checkedOptions);

        await ExportAsync(export, cancellationToken).ConfigureAwait(false);
        try
        {
            await file.WriteAsync([.. saved.Where(e => !(e.Host == client && e.Path == folder)), export], cancellationToken).ConfigureAwait(false);
            try
            {
                if (owner is { } o)
                {
                    LinuxOwner.Change(folder, o.Uid, o.Gid);
                }
            }
            catch
            {
                await file.WriteAsync(saved, CancellationToken.None).ConfigureAwait(false);
                throw;
            }
        }
        catch
        {
            if (before is null)
            {
                await runner.RunAsync(Exportfs("-u", $"{NfsHost.CommandLineForm(client)}:{folder}"), CancellationToken.None).ConfigureAwait(false);
            }
            else
            {
                await ExportAsync(before, CancellationToken.None).ConfigureAwait(false);
            }

            throw;
        }

        return export;
    }

    /// <summary>Stops exporting <paramref name="path"/> to <paramref name="host"/> (NfsExportNotFound when it is not exported).</summary>
    public async Task RemoveAsync(string host, string path, CancellationToken cancellationToken = default)
    {
        // targetd-peer §7.7 nfs_export_remove: "For each exportfs -v entry with equal host and path: exportfs -u host:path then
        // save. None → -400."
        string client = host.StartsWith('[') ? NfsHost.Validate(host) : host;
        string folder = path.Length > 1 ? path.TrimEnd('/') : path;
        var live = (await ListAsync(cancellationToken).ConfigureAwait(false)).FirstOrDefault(e => e.Host == client && e.Path == folder);
        var saved = await file.ReadAsync(cancellationToken).ConfigureAwait(false);
        bool kept = saved.Any(e => e.Host == client && e.Path == folder);
        if (live is null && !kept)
        {
            throw StorageErrors.NfsExportNotFound(host, path);
        }

        if (kept)
        {
            await file.WriteAsync(saved.Where(e => !(e.Host == client && e.Path == folder)), cancellationToken).ConfigureAwait(false);
        }

        if (live is not null)
        {
            var unexport = Exportfs("-u", $"{NfsHost.CommandLineForm(client)}:{folder}");
            var result = await runner.RunAsync(unexport, cancellationToken).ConfigureAwait(false);
            if (!result.Succeeded)
            {
                if (kept)
                {
                    await file.WriteAsync(saved, CancellationToken.None).ConfigureAwait(false);
                }

                result.EnsureSucceeded(unexport);
            }
        }
    }

    private async Task ExportAsync(NfsExport export, CancellationToken cancellationToken)
    {
        string target = $"{NfsHost.CommandLineForm(export.Host)}:{export.Path}";
        var command = export.Options.Count == 0 ? Exportfs(target) : Exportfs("-o", string.Join(',', export.Options), target);
        var result = await runner.RunAsync(command, cancellationToken).ConfigureAwait(false);
        if (!result.Succeeded)
        {
            // targetd: "rc 22 → -32602; other rc → -1 RuntimeError: Unexpected exit code ...".
            throw new StorageException(result.ExitCode == 22 ? StorageErrorKind.InvalidArgument : StorageErrorKind.Failed, result.DescribeFailure(command));
        }
    }

    /// <summary>An absolute, normalized path of an existing folder, in characters exports(5) takes unquoted (InvalidArgument otherwise).</summary>
    private static string CheckPath(string path)
    {
        string folder = path.Length > 1 ? path.TrimEnd('/') : path;
        if (!folder.StartsWith('/') || !folder.All(NfsOptions.IsPathCharacter) || Path.GetFullPath(folder) != folder)
        {
            throw StorageErrors.InvalidArgument($"path '{path}' must be an absolute, normalized path of letters, digits and / . _ - ~ +");
        }

        if (!Directory.Exists(folder))
        {
            throw StorageErrors.InvalidArgument($"path '{path}' is not an existing folder");
        }

        return folder;
    }

    private (int Uid, int Gid) ParseOwner(string chown)
    {
        if (!allowChown)
        {
            throw StorageErrors.ChownDisabled();
        }

        string[] parts = chown.Split(':');
        if (parts.Length > 2 || !parts.All(p => int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out _)))
        {
            throw StorageErrors.InvalidArgument($"Wrong chown arguments: '{chown}' is not UID or UID:GID");
        }

        return (int.Parse(parts[0], CultureInfo.InvariantCulture), parts.Length > 1 ? int.Parse(parts[1], CultureInfo.InvariantCulture) : -1);
    }

    private static ProcessCommand Exportfs(params string[] arguments) => new("exportfs", arguments) { Timeout = Timeout };
}
