namespace Targetd.Storage.Qcow2Target;

/// <summary>A refused qcow2target request; the message is what the client receives in <c>error</c>.</summary>
public sealed class Qcow2TargetException : Exception
{
    /// <summary>Creates the exception.</summary>
    public Qcow2TargetException()
    {
    }

    /// <summary>Creates the exception with the client's error text.</summary>
    public Qcow2TargetException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with the client's error text and its cause.</summary>
    public Qcow2TargetException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
