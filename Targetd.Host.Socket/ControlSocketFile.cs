using System.Globalization;
using System.Net.Sockets;

namespace Targetd.Host.Socket;

/// <summary>
/// The control socket's file. It is bound in a folder of its own that did not exist before (mkdtemp, owner-only, in
/// the folder of the configured path, so a rename is atomic), given its group and mode there where nobody else can
/// reach it, then renamed to the configured path, and the folder removed (it is empty). The configured path may
/// hold nothing, or a stale socket of the daemon's own user, which the rename replaces; a symbolic link, a folder,
/// any other file, a socket of another user or one a daemon answers on is refused. Nothing found there is followed,
/// reused or removed recursively.
/// </summary>
internal sealed class ControlSocketFile
{
    private readonly UnixFileStatus _status;

    private ControlSocketFile(string path, System.Net.Sockets.Socket socket, UnixFileStatus status)
    {
        Path = path;
        Socket = socket;
        _status = status;
    }

    /// <summary>The configured path.</summary>
    public string Path { get; }

    /// <summary>The listening socket.</summary>
    public System.Net.Sockets.Socket Socket { get; }

    /// <summary>Creates the socket at <paramref name="path"/>: owner-only (0600), or owner and group (0660) with a group.</summary>
    /// <exception cref="IOException">The path holds something that is not a stale socket of ours, or a daemon answers there, or a call failed.</exception>
    public static ControlSocketFile Create(string path, string? group, int backlog = 64)
    {
        path = System.IO.Path.GetFullPath(path);
        CheckFinalPath(path);
        string folder = System.IO.Path.GetDirectoryName(path)!;
        string staging = UnixPermissions.CreateUniqueFolder(System.IO.Path.Combine(folder, ".qcow2target-"));
        string staged = System.IO.Path.Combine(staging, "s");
        System.Net.Sockets.Socket? socket = null;
        try
        {
            socket = new System.Net.Sockets.Socket(UnixPermissions.BindUnixSocket(staged));
            var mode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            if (group is not null)
            {
                uint gid = UnixPermissions.GroupId(group) ?? throw new IOException($"Unknown group '{group}' for the control socket.");
                UnixPermissions.ChangeGroup(staged, gid);
                mode |= UnixFileMode.GroupRead | UnixFileMode.GroupWrite;
            }

            File.SetUnixFileMode(staged, mode);
            socket.Listen(backlog);
            var status = UnixPermissions.Status(staged) ?? throw new IOException($"The control socket vanished from '{staging}'.");

            // Look again right before the rename: only nothing, or a stale socket of ours, may be there.
            bool replace = CheckFinalPath(path);
            if (replace)
            {
                UnixPermissions.Rename(staged, path);
            }
            else if (!UnixPermissions.RenameIfAbsent(staged, path))
            {
                throw new IOException($"Something appeared at '{path}' while the control socket was made; refusing to replace it.");
            }

            return new ControlSocketFile(path, socket, status);
        }
        catch
        {
            socket?.Dispose();
            throw;
        }
        finally
        {
            // Both are ours, in a folder only we can write: the socket if it was not renamed, then the empty folder.
            File.Delete(staged);
            Directory.Delete(staging);
        }
    }

    /// <summary>Removes the socket file, if the path still holds this very socket.</summary>
    public void Remove()
    {
        try
        {
            if (UnixPermissions.Status(Path) is { } now && now.IsSameFile(_status))
            {
                File.Delete(Path);
            }
        }
        catch (IOException)
        {
        }
    }

    /// <summary>
    /// Why the control socket cannot be put at <paramref name="path"/> (a symbolic link, a folder, another kind of file
    /// or another user's socket is there); null when nothing or a socket of ours is. Whether a daemon answers is not asked.
    /// </summary>
    public static string? ProblemAt(string path)
    {
        if (UnixPermissions.Status(path) is not { } status || (status.IsSocket && status.OwnerId == UnixPermissions.EffectiveUserId))
        {
            return null;
        }

        return status.IsSymbolicLink || status.IsFolder ? $"'{path}' is a {(status.IsSymbolicLink ? "symbolic link" : "folder")}; refusing to use it as the control socket"
            : !status.IsSocket ? $"'{path}' is a file, not a socket; refusing to replace it with the control socket"
            : string.Create(CultureInfo.InvariantCulture, $"the socket '{path}' belongs to uid {status.OwnerId}; refusing to replace it");
    }

    /// <summary>Whether the final path holds a stale socket of ours (to replace); false when it holds nothing.</summary>
    /// <exception cref="IOException">It holds anything else, or a daemon answers there.</exception>
    private static bool CheckFinalPath(string path)
    {
        if (ProblemAt(path) is { } problem)
        {
            throw new IOException(problem + ".");
        }

        if (UnixPermissions.Status(path) is null)
        {
            return false;
        }

        using var probe = new System.Net.Sockets.Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            probe.Connect(new UnixDomainSocketEndPoint(path));
        }
        catch (SocketException)
        {
            // Nobody answers: a stale socket from a daemon that did not exit cleanly.
            return true;
        }

        throw new IOException($"Another daemon is serving the control socket '{path}'.");
    }
}
