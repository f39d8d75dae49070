namespace Targetd.Iscsi.Targets;

/// <summary>iSCSI names (RFC 7143 §4.2.7), as <see cref="Core.Names.IscsiName"/> judges them.</summary>
public static class IscsiName
{
    /// <summary>"iSCSI names ... MUST NOT be larger than 223 bytes" (RFC 7143 §4.2.7.1).</summary>
    public const int MaxLength = Core.Names.IscsiName.MaxLength;

    /// <summary>Whether <paramref name="name"/> is a well-formed iSCSI name.</summary>
    public static bool IsValid(string? name) => Core.Names.IscsiName.IsValid(name);
}
