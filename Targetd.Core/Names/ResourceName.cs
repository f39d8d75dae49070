using Targetd.Core.Errors;

namespace Targetd.Core.Names;

/// <summary>
/// Names of volumes, file systems, snapshots, access groups and targets: one or more of
/// <c>[a-zA-Z0-9_-]</c>, so a name is safe as a path component and as a command argument.
/// </summary>
public static class ResourceName
{
    /// <summary>The longest name accepted (a file-name component).</summary>
    public const int MaxLength = 255;

    /// <summary>targetd's message for a name that is not valid.</summary>
    public const string IllegalNameMessage = "Illegal name, should match: ^[a-zA-Z0-9_-]+$";

    /// <summary>Whether <paramref name="name"/> is a valid resource name.</summary>
    public static bool IsValid(string? name)
    {
        if (string.IsNullOrEmpty(name) || name.Length > MaxLength)
        {
            return false;
        }

        foreach (char c in name)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c != '_' && c != '-')
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Returns <paramref name="name"/> when valid.</summary>
    /// <exception cref="TargetdException">Code -32602 with targetd's "Illegal name" message.</exception>
    public static string EnsureValid(string? name) => IsValid(name) ? name! : throw TargetdErrors.IllegalName();
}
