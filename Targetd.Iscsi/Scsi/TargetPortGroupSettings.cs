using System.Collections.Immutable;
using System.Globalization;

namespace Targetd.Iscsi.Scsi;

/// <summary>
/// This gateway's place in implicit ALUA (SPC-4 §5.16): its own target port group, which is also the relative target
/// port identifier of its one SCSI target port, the groups of every gateway serving the shared (RBD) devices, and
/// the rule that picks each shared device's active/optimized group.
/// </summary>
public sealed class TargetPortGroupSettings
{
    /// <summary>One gateway, group 1 (LIO's default group): every device active/optimized through it.</summary>
    public static TargetPortGroupSettings Default { get; } = new(1, [1], AluaOptimizedRule.Spread);

    /// <param name="localGroup">This gateway's target port group id (and relative target port identifier), 1–65535.</param>
    /// <param name="sharedGroups">Every gateway's group id serving the shared devices; contains <paramref name="localGroup"/>, no duplicates, no 0.</param>
    /// <param name="rule">How a shared device's active/optimized group is chosen.</param>
    /// <exception cref="ArgumentException">A group id is 0, listed twice, or the local group is not among the shared groups.</exception>
    public TargetPortGroupSettings(ushort localGroup, IEnumerable<ushort> sharedGroups, AluaOptimizedRule rule)
    {
        ArgumentNullException.ThrowIfNull(sharedGroups);
        var groups = sharedGroups.Order().ToImmutableArray();
        if (localGroup == 0 || groups.Contains((ushort)0))
        {
            throw new ArgumentException("A target port group id is 1 to 65535.", nameof(sharedGroups));
        }

        if (groups.Distinct().Count() != groups.Length)
        {
            throw new ArgumentException("A target port group id is listed twice.", nameof(sharedGroups));
        }

        if (!groups.Contains(localGroup))
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture, $"The shared groups do not contain this gateway's group {localGroup}."), nameof(sharedGroups));
        }

        if (!Enum.IsDefined(rule))
        {
            throw new ArgumentException("Unknown rule.", nameof(rule));
        }

        LocalGroup = localGroup;
        SharedGroups = groups;
        Rule = rule;
    }

    /// <summary>This gateway's target port group id, also its relative target port identifier.</summary>
    public ushort LocalGroup { get; }

    /// <summary>Every gateway's group id serving the shared devices, ascending.</summary>
    public IReadOnlyList<ushort> SharedGroups { get; }

    /// <summary>How a shared device's active/optimized group is chosen.</summary>
    public AluaOptimizedRule Rule { get; }

    /// <summary>
    /// The groups a device reports: a shared device (several gateways serve it) every shared group, one of them
    /// active/optimized by <see cref="Rule"/>; a device only this gateway serves just the local group, active/optimized.
    /// </summary>
    internal TargetPortGroups For(ScsiDeviceIdentity identity, bool shared)
    {
        if (!shared || SharedGroups.Count == 1)
        {
            return new TargetPortGroups(LocalGroup, [LocalGroup], LocalGroup);
        }

        int owner = Rule == AluaOptimizedRule.First ? 0 : (int)(StableHash(identity.Naa.Span) % (uint)SharedGroups.Count);
        return new TargetPortGroups(LocalGroup, [.. SharedGroups], SharedGroups[owner]);
    }

    /// <summary>FNV-1a (32 bits): the same in every process and every .NET version, unlike <see cref="string.GetHashCode()"/>.</summary>
    internal static uint StableHash(ReadOnlySpan<byte> bytes)
    {
        uint hash = 2166136261;
        foreach (byte b in bytes)
        {
            hash = (hash ^ b) * 16777619;
        }

        return hash;
    }
}
