namespace Targetd.Fuzz;

/// <summary>
/// A fault the component hid behind an error reply (its catch-all turned an exception into a message): thrown so that
/// AFL records the input as a crash.
/// </summary>
internal sealed class Finding(string message) : Exception(message)
{
    /// <summary>
    /// Exception type names that mean a fault of the code rather than a refusal of the input, when a catch-all
    /// reports them.
    /// </summary>
    private static readonly string[] FaultTypes =
    [
        nameof(NullReferenceException), nameof(IndexOutOfRangeException), nameof(ArgumentOutOfRangeException),
        nameof(ArgumentNullException), nameof(InvalidCastException), nameof(KeyNotFoundException),
        nameof(InvalidOperationException), nameof(OverflowException), nameof(DivideByZeroException),
        nameof(FormatException), nameof(NotImplementedException), nameof(ObjectDisposedException),
    ];

    /// <summary>Whether a message names a fault type (as "TypeName: message").</summary>
    public static bool NamesFault(string message) =>
        FaultTypes.Any(type => message.StartsWith(type + ":", StringComparison.Ordinal) || message.Contains(" " + type + ":", StringComparison.Ordinal));
}
