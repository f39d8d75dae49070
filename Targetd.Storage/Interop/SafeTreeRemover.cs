using static Targetd.Storage.Interop.LinuxDirectory;

namespace Targetd.Storage.Interop;

/// <summary>
/// Removes a folder tree that clients can write while it is removed, never following a symbolic link. It walks with
/// folder handles (openat O_DIRECTORY|O_NOFOLLOW, unlinkat): a symbolic link, wherever it is and whenever it was put
/// there, is removed itself. It holds two handles at a time however deep the tree is, climbing back through ".."
/// only to the very folder it came down from (same device and inode), and stops with an error otherwise: a folder
/// moved out of the tree mid-walk never leads the walk outside.
/// </summary>
internal static class SafeTreeRemover
{
    /// <summary>How often one entry may change kind, or a folder refill, before the removal gives up.</summary>
    private const int MaxAttempts = 4;

    /// <summary>Removes <paramref name="path"/>: a folder with everything in it, or a file or symbolic link itself; nothing when it is missing.</summary>
    /// <exception cref="IOException">Something could not be removed, or the tree changed under the walk in a way it does not follow.</exception>
    public static void Remove(string path) => Remove(path, null);

    /// <summary>As <see cref="Remove(string)"/>, calling <paramref name="beforeDescend"/> with a folder's path (relative to <paramref name="path"/>) before entering it.</summary>
    internal static void Remove(string path, Action<string>? beforeDescend)
    {
        path = Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));
        string parentPath = Path.GetDirectoryName(path) ?? throw new IOException("Refusing to remove the root folder.");
        int parent = OpenFolder(CurrentFolder, NameOf(parentPath), followLinks: true);
        if (parent < 0)
        {
            if (-parent is ENOENT)
            {
                return;
            }

            throw Error("open", parentPath, -parent);
        }

        // The bottom frame is the parent folder: its one pending entry is the tree.
        var frames = new Stack<Frame>();
        frames.Push(new Frame(string.Empty, Identify(parent)));
        frames.Peek().Pending.Enqueue((NameOf(Path.GetFileName(path)), 0));
        int current = parent;
        try
        {
            while (true)
            {
                var top = frames.Peek();
                if (top.Pending.TryDequeue(out var next))
                {
                    current = Descend(current, frames, next, beforeDescend);
                    continue;
                }

                if (frames.Count == 1)
                {
                    return;
                }

                // The folder on top is empty as far as it was read: climb to its parent and remove it.
                frames.Pop();
                int up = OpenFolder(current, [(byte)'.', (byte)'.', 0], followLinks: true);
                if (up < 0)
                {
                    throw Error("open", $"{top.Path}/..", -up);
                }

                CloseHandle(current);
                current = up;
                if (Identify(current) != frames.Peek().Identity)
                {
                    throw new IOException($"'{top.Path}' was moved out of '{path}' while it was removed; stopped there.");
                }

                int failed = Unlink(current, top.Name, folderEntry: true);
                if (failed == ENOTEMPTY)
                {
                    // Filled again meanwhile: read it anew.
                    Retry(frames.Peek(), top.Name, top.Attempt, top.Path);
                }
                else if (failed is not (0 or ENOENT))
                {
                    throw Error("rmdir", top.Path, failed);
                }
            }
        }
        finally
        {
            CloseHandle(current);
        }
    }

    /// <summary>Enters a folder entry of the folder on top (or removes it when it is not a folder); returns the handle now current.</summary>
    private static int Descend(int current, Stack<Frame> frames, (byte[] Name, int Attempt) entry, Action<string>? beforeDescend)
    {
        var top = frames.Peek();
        string path = top.Path.Length == 0 ? Text(entry.Name) : $"{top.Path}/{Text(entry.Name)}";
        beforeDescend?.Invoke(path);
        int child = OpenFolder(current, entry.Name);
        if (child == -EACCES && MakeOwnerWritable(current, entry.Name))
        {
            child = OpenFolder(current, entry.Name);
        }

        if (child is -ENOTDIR or -ELOOP)
        {
            // A file or a symbolic link (perhaps swapped in for the folder): removed itself, never followed.
            RemoveEntry(current, top, entry.Name, entry.Attempt, path);
            return current;
        }

        if (child == -ENOENT)
        {
            return current;
        }

        if (child < 0)
        {
            throw Error("open", path, -child);
        }

        var frame = new Frame(path, Identify(child)) { Name = entry.Name, Attempt = entry.Attempt };
        try
        {
            foreach (var (name, isFolder) in ReadEntries(child))
            {
                if (isFolder)
                {
                    frame.Pending.Enqueue((name, 0));
                }
                else
                {
                    RemoveEntry(child, frame, name, 0, $"{path}/{Text(name)}");
                }
            }
        }
        catch
        {
            CloseHandle(child);
            throw;
        }

        CloseHandle(current);
        frames.Push(frame);
        return child;
    }

    /// <summary>Unlinks a non-folder entry; one that turned out (or turned into) a folder is queued to be entered.</summary>
    private static void RemoveEntry(int folder, Frame frame, byte[] name, int attempt, string path)
    {
        int failed = Unlink(folder, name, folderEntry: false);
        if (failed == EACCES && MakeOwnerWritable(folder))
        {
            failed = Unlink(folder, name, folderEntry: false);
        }

        if (failed == EISDIR)
        {
            Retry(frame, name, attempt, path);
        }
        else if (failed is not (0 or ENOENT))
        {
            throw Error("unlink", path, failed);
        }
    }

    private static void Retry(Frame frame, byte[] name, int attempt, string path)
    {
        if (attempt + 1 >= MaxAttempts)
        {
            throw new IOException($"'{path}' kept changing while it was removed; stopped there.");
        }

        frame.Pending.Enqueue((name, attempt + 1));
    }

    /// <summary>A folder being emptied: where it is, what it is, and the sub-folders still to enter.</summary>
    private sealed class Frame(string path, (ulong Device, ulong Inode) identity)
    {
        public string Path { get; } = path;

        public (ulong Device, ulong Inode) Identity { get; } = identity;

        /// <summary>Its name in its parent.</summary>
        public byte[] Name { get; init; } = [];

        /// <summary>How often it was entered before.</summary>
        public int Attempt { get; init; }

        public Queue<(byte[] Name, int Attempt)> Pending { get; } = new();
    }
}
