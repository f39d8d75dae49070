namespace Targetd.Storage.Pools.FileSystems;

/// <summary>A snapshot as <c>ss_list</c> reports it.</summary>
/// <param name="Name">Its name.</param>
/// <param name="Uuid">Its uuid.</param>
/// <param name="Timestamp">When it was taken, in seconds since the epoch.</param>
public sealed record SnapshotEntry(string Name, string Uuid, long Timestamp);
