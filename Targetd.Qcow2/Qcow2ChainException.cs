namespace Targetd.Qcow2;

/// <summary>
/// A file of an image's chain (the image, a backing file or an external data file) that the
/// <see cref="Qcow2ChainPolicy"/> refuses: outside the allowed folders, not a regular file, already in the chain
/// (a loop) or too deep.
/// </summary>
public sealed class Qcow2ChainException : Exception
{
    /// <summary>Creates the exception.</summary>
    public Qcow2ChainException()
    {
    }

    /// <summary>Creates the exception with a message that says what is wrong.</summary>
    public Qcow2ChainException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    public Qcow2ChainException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception for the refused file.</summary>
    public Qcow2ChainException(string filePath, string message)
        : base(message) => FilePath = filePath;

    /// <summary>The refused file, as the image names it (null when not known).</summary>
    public string? FilePath { get; }
}
