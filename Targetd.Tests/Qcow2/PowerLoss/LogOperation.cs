namespace Targetd.Tests.Qcow2.PowerLoss;

/// <summary>What a <see cref="LogEntry"/> of a <see cref="WriteLog"/> records.</summary>
internal enum LogOperation
{
    /// <summary>A completed write: <see cref="LogEntry.Offset"/> and <see cref="LogEntry.Data"/>.</summary>
    Write,

    /// <summary>A completed flush to disk: a barrier behind every write recorded before it.</summary>
    Flush,

    /// <summary>The guest's flush <see cref="LogEntry.Mark"/> was acknowledged.</summary>
    Mark,
}
