namespace Targetd.Qcow2;

/// <summary>An image that is not valid qcow2, or uses a feature this engine does not support.</summary>
public sealed class Qcow2FormatException : Exception
{
    /// <summary>Creates the exception.</summary>
    public Qcow2FormatException()
    {
    }

    /// <summary>Creates the exception with a message that says what is wrong.</summary>
    public Qcow2FormatException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    public Qcow2FormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
