using System.Text;

namespace Targetd.Core.Processes;

/// <summary>
/// A program and its arguments, run directly (never through a shell), so no argument is ever parsed
/// as shell syntax.
/// </summary>
public sealed record ProcessCommand
{
    /// <summary>Creates a command.</summary>
    public ProcessCommand(string fileName, params IReadOnlyList<string> arguments)
    {
        ArgumentException.ThrowIfNullOrEmpty(fileName);
        ArgumentNullException.ThrowIfNull(arguments);
        FileName = fileName;
        Arguments = arguments;
    }

    /// <summary>The program, a name looked up on PATH or a path.</summary>
    public string FileName { get; }

    /// <summary>The arguments, each passed as one argv element.</summary>
    public IReadOnlyList<string> Arguments { get; }

    /// <summary>Text written to the program's standard input, then closed; null for none.</summary>
    public string? StandardInput { get; init; }

    /// <summary>How long the program may run before it is killed; null for no limit.</summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>The argv as a list, quoted for messages and logs.</summary>
    public override string ToString()
    {
        var text = new StringBuilder("[");
        AppendQuoted(text, FileName);
        foreach (string argument in Arguments)
        {
            text.Append(", ");
            AppendQuoted(text, argument);
        }

        return text.Append(']').ToString();
    }

    /// <summary>Whether two commands run the same argv.</summary>
    public bool Equals(ProcessCommand? other) =>
        other is not null && FileName == other.FileName && Arguments.SequenceEqual(other.Arguments)
        && StandardInput == other.StandardInput;

    /// <inheritdoc />
    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(FileName, StringComparer.Ordinal);
        foreach (string argument in Arguments)
        {
            hash.Add(argument, StringComparer.Ordinal);
        }

        return hash.ToHashCode();
    }

    private static void AppendQuoted(StringBuilder text, string value) =>
        text.Append('\'').Append(value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("'", "\\'", StringComparison.Ordinal)).Append('\'');
}
