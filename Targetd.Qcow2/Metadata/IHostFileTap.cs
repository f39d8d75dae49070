namespace Targetd.Qcow2.Metadata;

/// <summary>
/// Sees every write, length change and flush the engine makes to a <see cref="HostFile"/>, for tests that
/// replay them as a power cut would have left the disk. Production opens files without one.
/// </summary>
internal interface IHostFileTap
{
    /// <summary>A write of <paramref name="data"/> at <paramref name="offset"/> has completed.</summary>
    void Wrote(string path, long offset, ReadOnlySpan<byte> data);

    /// <summary>The file's length was set.</summary>
    void LengthSet(string path, long length);

    /// <summary>A flush to disk is about to start; throwing fails it as a failed fsync would.</summary>
    void Flushing(string path);

    /// <summary>A flush to disk has completed: every write that completed before it started is durable.</summary>
    void Flushed(string path);
}
