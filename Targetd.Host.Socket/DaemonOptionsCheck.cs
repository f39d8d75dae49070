namespace Targetd.Host.Socket;

/// <summary><c>qcow2target serve --check-config</c>: what the start would meet after the settings were read.</summary>
internal static class DaemonOptionsCheck
{
    /// <summary>The first problem the daemon would stop on, naming its key; null when there is none.</summary>
    public static string? Problem(DaemonOptions options)
    {
        if (!Directory.Exists(options.DisksRoot))
        {
            return $"disks_root: '{options.DisksRoot}' does not exist";
        }

        foreach (string root in options.BackingRoots)
        {
            if (!Directory.Exists(root))
            {
                return $"backing_roots: '{root}' does not exist or is not a folder";
            }
        }

        if (!Directory.Exists(Path.GetDirectoryName(options.SocketPath)))
        {
            return $"socket: the folder of '{options.SocketPath}' does not exist";
        }

        if (ControlSocketFile.ProblemAt(options.SocketPath) is { } socket)
        {
            return $"socket: {socket}";
        }

        if (options.SocketGroup is { } group && UnixPermissions.GroupId(group) is null)
        {
            return $"socket_group: there is no group '{group}'";
        }

        if (options.StateFile is { } state && !Directory.Exists(Path.GetDirectoryName(state)))
        {
            return $"state: the folder of '{state}' does not exist";
        }

        if (options.MetricsAddress is { } metrics && metrics.Equals(options.Portal))
        {
            return $"metrics_address: '{metrics}' is the iSCSI portal's address";
        }

        return options.Access.Problem();
    }
}
