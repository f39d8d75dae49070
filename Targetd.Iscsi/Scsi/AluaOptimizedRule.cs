namespace Targetd.Iscsi.Scsi;

/// <summary>
/// Which of the target port groups serving a shared device is its one active/optimized group (SPC-4 §5.16.2.1); the
/// others are active/non-optimized. Every gateway computes the same owner from the device's identity alone.
/// </summary>
public enum AluaOptimizedRule
{
    /// <summary>The lowest group id owns every shared device: active/passive across gateways.</summary>
    First,

    /// <summary>A stable hash of the device's NAA designator, modulo the sorted groups: devices are spread over the gateways.</summary>
    Spread,
}
