using Targetd.Qcow2;

namespace Targetd.Tests.Qcow2.PowerLoss;

/// <summary>
/// A workload on a new image: its create options, whether it lies over a raw backing file with random content,
/// the metadata cache it is opened with (small to force L2 evictions) and the guest operations.
/// </summary>
internal sealed record PowerLossScenario(string Name, Qcow2CreateOptions Options, bool Backing, long CacheBytes, Func<PowerLossWorkload, Task> Run)
{
    public override string ToString() => Name;
}
