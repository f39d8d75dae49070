using Targetd.Qcow2.Metadata;

namespace Targetd.Tests.Qcow2.PowerLoss;

/// <summary>
/// Records, in the order they complete, the writes and flushes the engine makes to the one file it writes, as
/// dm-log-writes records them below a file system, and the guest flushes acknowledged in between. It can fail one
/// flush as a failing fsync would.
/// </summary>
internal sealed class WriteLog : IHostFileTap
{
    private readonly Lock _gate = new();
    private readonly List<LogEntry> _entries = [];
    private string? _path;
    private int _flushesStarted;

    /// <summary>The number (from 0) of the flush to fail with an I/O error; -1 for none.</summary>
    public int FailingFlush { get; set; } = -1;

    public int FailedFlushes { get; private set; }

    /// <summary>How many flushes have started, failed ones included.</summary>
    public int FlushesStarted
    {
        get
        {
            lock (_gate)
            {
                return _flushesStarted;
            }
        }
    }

    public IReadOnlyList<LogEntry> Entries => _entries;

    public int Writes => _entries.Count(e => e.Operation == LogOperation.Write);

    public int Flushes => _entries.Count(e => e.Operation == LogOperation.Flush);

    /// <summary>Records that the guest's flush <paramref name="mark"/> was acknowledged.</summary>
    public void Acknowledged(int mark) => Add(new LogEntry(LogOperation.Mark, 0, [], mark));

    public void Wrote(string path, long offset, ReadOnlySpan<byte> data)
    {
        Track(path);
        Add(new LogEntry(LogOperation.Write, offset, data.ToArray(), -1));
    }

    public void LengthSet(string path, long length) =>
        throw new NotSupportedException($"Setting the length of '{path}' is not modelled in power-loss states.");

    public void Flushing(string path)
    {
        lock (_gate)
        {
            if (_flushesStarted++ == FailingFlush)
            {
                FailedFlushes++;
                throw new IOException($"Input/output error (flush {FailingFlush} of '{path}' failed on purpose)");
            }
        }
    }

    public void Flushed(string path)
    {
        Track(path);
        Add(new LogEntry(LogOperation.Flush, 0, [], -1));
    }

    private void Track(string path)
    {
        lock (_gate)
        {
            _path ??= path;
            if (_path != path)
            {
                throw new NotSupportedException($"Only one written file is modelled, not '{_path}' and '{path}'.");
            }
        }
    }

    private void Add(LogEntry entry)
    {
        lock (_gate)
        {
            _entries.Add(entry);
        }
    }
}
