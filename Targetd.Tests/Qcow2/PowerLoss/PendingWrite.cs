namespace Targetd.Tests.Qcow2.PowerLoss;

/// <summary>Bytes a crash state has reached the disk at <paramref name="Offset"/>.</summary>
internal readonly record struct PendingWrite(long Offset, ReadOnlyMemory<byte> Data);
