namespace Targetd.Core.BlockDevices;

/// <summary>What <see cref="ISharedDeviceState.ReadStateAsync"/> read.</summary>
/// <param name="Sequence">How many times the state was written; 0 when never.</param>
/// <param name="Content">The content; empty when never written.</param>
public readonly record struct SharedStateValue(long Sequence, ReadOnlyMemory<byte> Content);
