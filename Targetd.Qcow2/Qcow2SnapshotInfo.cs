namespace Targetd.Qcow2;

/// <summary>An internal snapshot as <c>qemu-img snapshot -l</c> lists it.</summary>
/// <param name="Id">The snapshot's unique id string.</param>
/// <param name="Name">The snapshot's name (tag).</param>
/// <param name="Created">When it was taken.</param>
/// <param name="VmClock">The guest clock at that time.</param>
/// <param name="VmStateSize">Bytes of saved VM state (0 for disk-only snapshots).</param>
/// <param name="DiskSize">The virtual size when it was taken.</param>
public sealed record Qcow2SnapshotInfo(string Id, string Name, DateTimeOffset Created, TimeSpan VmClock, long VmStateSize, long DiskSize);
