using System.Text;
using Targetd.Core.State;

namespace Targetd.Tests.Core.State;

/// <summary>
/// A file system that records what a power cut could leave of the state files written through it, in the model
/// journaling file systems (ext4, xfs, btrfs) give without stronger options: a file's data is durable once the file is
/// flushed; names created, renamed and removed are durable once their folder is flushed, and before that any prefix of
/// them, in order, may have reached the disk; data not flushed may be lost whole or in part (torn at 512-byte
/// sectors), even when the name pointing at it survived. After every operation it keeps a crash point: what is
/// durable and what is pending.
/// </summary>
internal sealed class CrashModelFileSystem : IStateFileSystem
{
    private const int Sector = 512;

    private readonly Dictionary<string, Inode> _durableNames = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Inode> _names = new(StringComparer.Ordinal);
    private readonly List<NameChange> _pending = [];
    private readonly List<CrashPoint> _points = [];

    /// <summary>How a crash treats data that was written but not flushed.</summary>
    public enum UnflushedData
    {
        /// <summary>None of it reached the disk.</summary>
        Lost,

        /// <summary>All of it did.</summary>
        Kept,

        /// <summary>The file has its new length, but only the first half of its new sectors hold data; the rest is zeros.</summary>
        Torn,
    }

    /// <summary>The crash points recorded since the last <see cref="ForgetCrashPoints"/>.</summary>
    public IReadOnlyList<CrashPoint> CrashPoints => _points;

    /// <summary>Starts recording afresh, e.g. once the old state is written and durable.</summary>
    public void ForgetCrashPoints() => _points.Clear();

    /// <inheritdoc />
    public bool Exists(string path) => _names.ContainsKey(path);

    /// <inheritdoc />
    public string ReadAllText(string path) =>
        _names.TryGetValue(path, out var inode) ? Encoding.UTF8.GetString(inode.Current) : throw new FileNotFoundException(path);

    /// <inheritdoc />
    public Task<string> ReadAllTextAsync(string path, CancellationToken cancellationToken = default) => Task.FromResult(ReadAllText(path));

    /// <inheritdoc />
    public void CreateFolder(string folder)
    {
    }

    /// <inheritdoc />
    public Task CreateNewAsync(string path, ReadOnlyMemory<byte> contents, CancellationToken cancellationToken = default)
    {
        if (_names.ContainsKey(path))
        {
            throw new IOException($"{path} exists");
        }

        var inode = new Inode { Current = contents.ToArray() };
        _names[path] = inode;
        _pending.Add(new NameChange(path, null, inode));
        Record($"create {Path.GetFileName(path)}");
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public void FlushFile(string path)
    {
        var inode = _names[path];
        inode.Durable = inode.Current;
        Record($"fsync {Path.GetFileName(path)}");
    }

    /// <inheritdoc />
    public void Move(string source, string destination)
    {
        var inode = _names[source];
        _names.Remove(source);
        _names[destination] = inode;
        _pending.Add(new NameChange(destination, source, inode));
        Record($"rename {Path.GetFileName(source)} {Path.GetFileName(destination)}");
    }

    /// <inheritdoc />
    public void FlushFolder(string folder)
    {
        foreach (var change in _pending)
        {
            change.ApplyTo(_durableNames);
        }

        _pending.Clear();
        Record("fsync folder");
    }

    /// <inheritdoc />
    public void Delete(string path)
    {
        if (_names.Remove(path))
        {
            _pending.Add(new NameChange(null, path, null));
            Record($"unlink {Path.GetFileName(path)}");
        }
    }

    private void Record(string operation) =>
        _points.Add(new CrashPoint(
            operation,
            _durableNames.ToDictionary(e => e.Key, e => (e.Value.Durable, e.Value.Current), StringComparer.Ordinal),
            [.. _pending.Select(c => c.Frozen())]));

    /// <summary>A file's contents: what is durable, and what was last written.</summary>
    private sealed class Inode
    {
        public byte[] Durable { get; set; } = [];

        public byte[] Current { get; set; } = [];
    }

    /// <summary>A name change not yet durable: <c>To</c> now names the inode (null: removed), <c>From</c> no longer does.</summary>
    private sealed record NameChange(string? To, string? From, Inode? Inode)
    {
        public void ApplyTo(Dictionary<string, Inode> names)
        {
            if (From is not null)
            {
                names.Remove(From);
            }

            if (To is not null)
            {
                names[To] = Inode!;
            }
        }

        public FrozenChange Frozen() => new(To, From, Inode?.Durable ?? [], Inode?.Current ?? []);
    }

    /// <summary>A name change as it stood at a crash point, with its file's durable and written data.</summary>
    internal sealed record FrozenChange(string? To, string? From, byte[] Durable, byte[] Current);

    /// <summary>The disk at one moment: the durable names (with their files' durable and written data) and the changes pending.</summary>
    internal sealed record CrashPoint(string After, Dictionary<string, (byte[] Durable, byte[] Current)> Durable, IReadOnlyList<FrozenChange> Pending)
    {
        /// <summary>
        /// Every disk a power cut here may leave: each prefix of the pending name changes, with unflushed data lost, kept
        /// or torn.
        /// </summary>
        public IEnumerable<(string Description, IStateFileSystem Disk)> Disks()
        {
            for (int applied = 0; applied <= Pending.Count; applied++)
            {
                foreach (var data in Enum.GetValues<UnflushedData>())
                {
                    var names = Durable.ToDictionary(e => e.Key, e => e.Value, StringComparer.Ordinal);
                    foreach (var change in Pending.Take(applied))
                    {
                        if (change.From is not null)
                        {
                            names.Remove(change.From);
                        }

                        if (change.To is not null)
                        {
                            names[change.To] = (change.Durable, change.Current);
                        }
                    }

                    var files = names.ToDictionary(e => e.Key, e => Survivor(e.Value.Durable, e.Value.Current, data), StringComparer.Ordinal);
                    yield return ($"after {After}, {applied} of {Pending.Count} name changes, unflushed data {data}", new FrozenDisk(files));
                }
            }
        }

        private static byte[] Survivor(byte[] durable, byte[] current, UnflushedData data)
        {
            if (ReferenceEquals(durable, current) || data == UnflushedData.Kept)
            {
                return current;
            }

            if (data == UnflushedData.Lost)
            {
                return durable;
            }

            var torn = new byte[current.Length];
            int sectors = (current.Length + Sector - 1) / Sector;
            int kept = Math.Min(current.Length, (sectors + 1) / 2 * Sector);
            current.AsSpan(0, kept).CopyTo(torn);
            return torn;
        }
    }

    /// <summary>What a power cut left: files to read the state back from; nothing may be written.</summary>
    private sealed class FrozenDisk(Dictionary<string, byte[]> files) : IStateFileSystem
    {
        public bool Exists(string path) => files.ContainsKey(path);

        public string ReadAllText(string path) => Encoding.UTF8.GetString(files[path]);

        public Task<string> ReadAllTextAsync(string path, CancellationToken cancellationToken = default) => Task.FromResult(ReadAllText(path));

        public void CreateFolder(string folder) => throw new NotSupportedException();

        public Task CreateNewAsync(string path, ReadOnlyMemory<byte> contents, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public void FlushFile(string path) => throw new NotSupportedException();

        public void Move(string source, string destination) => throw new NotSupportedException();

        public void FlushFolder(string folder) => throw new NotSupportedException();

        public void Delete(string path) => throw new NotSupportedException();
    }
}
