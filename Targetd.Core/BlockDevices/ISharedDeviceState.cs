namespace Targetd.Core.BlockDevices;

/// <summary>
/// A small piece of state that every gateway serving the same device shares, held where the device's data is
/// (a RADOS object beside an RBD image, say), and changed by compare-and-set. Block devices that several
/// gateways can serve at once implement it; SCSI keeps its reservations there.
/// </summary>
public interface ISharedDeviceState
{
    /// <summary>Reads the state: its sequence (0 when it was never written) and its content.</summary>
    /// <exception cref="IOException">The state cannot be reached.</exception>
    ValueTask<SharedStateValue> ReadStateAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Replaces the content, as sequence <paramref name="sequence"/> + 1, if the state is still at
    /// <paramref name="sequence"/>; false when another writer came first (read again and retry).
    /// </summary>
    /// <exception cref="IOException">The state cannot be reached.</exception>
    ValueTask<bool> TryWriteStateAsync(long sequence, ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default);
}
