namespace Targetd.Qcow2;

/// <summary>What <c>check -r</c> repairs.</summary>
public enum Qcow2RepairMode
{
    /// <summary>Only report.</summary>
    None,

    /// <summary>Release leaked clusters (refcount higher than the references).</summary>
    Leaks,

    /// <summary>Rewrite every refcount and COPIED flag from the mapping.</summary>
    All,
}
