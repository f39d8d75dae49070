namespace Targetd.Core.BlockDevices;

/// <summary>
/// Change notices between the gateways sharing a device's state (<see cref="ISharedDeviceState"/>), such as a RADOS
/// watch and notify on an object beside the image: a gateway that changed the state announces it, and every other
/// gateway acts on it before the announcement returns, rather than when it next reads the state.
/// </summary>
public interface ISharedDeviceStateWatch
{
    /// <summary>
    /// Starts watching: <paramref name="changed"/> runs when a gateway announces a change, and again whenever the watch
    /// was lost and taken up again (an announcement may have been missed). The announcing gateway waits for the task it
    /// returns. The watch is set up in the background, kept up while the cluster can be reached, and ends when the
    /// device is disposed.
    /// </summary>
    void Watch(Func<CancellationToken, ValueTask> changed);

    /// <summary>
    /// Tells every watching gateway (this one included) that the state changed, and waits until each has acted on it
    /// or <paramref name="timeout"/> has passed.
    /// </summary>
    /// <returns>False when some gateway did not answer in time.</returns>
    /// <exception cref="IOException">The announcement cannot be sent.</exception>
    ValueTask<bool> AnnounceAsync(TimeSpan timeout, CancellationToken cancellationToken = default);
}
