namespace Targetd.Core.Errors;

/// <summary>A failure reported to a targetd client as a JSON-RPC error with a code and a message.</summary>
public sealed class TargetdException : Exception
{
    /// <summary>Creates an error with a code and the message the client sees.</summary>
    public TargetdException(TargetdErrorCode code, string message)
        : base(message)
    {
        Code = code;
    }

    /// <summary>Creates an error with a code, the message the client sees, and its cause.</summary>
    public TargetdException(TargetdErrorCode code, string message, Exception innerException)
        : base(message, innerException)
    {
        Code = code;
    }

    /// <summary>Creates a generic error (<see cref="TargetdErrorCode.Invalid"/>).</summary>
    public TargetdException()
        : this(TargetdErrorCode.Invalid, "jsonrpc error")
    {
    }

    /// <summary>Creates a generic error (<see cref="TargetdErrorCode.Invalid"/>) with a message.</summary>
    public TargetdException(string message)
        : this(TargetdErrorCode.Invalid, message)
    {
    }

    /// <summary>Creates a generic error (<see cref="TargetdErrorCode.Invalid"/>) with a message and its cause.</summary>
    public TargetdException(string message, Exception innerException)
        : this(TargetdErrorCode.Invalid, message, innerException)
    {
    }

    /// <summary>The error code sent to the client.</summary>
    public TargetdErrorCode Code { get; }
}
