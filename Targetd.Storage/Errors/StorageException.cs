namespace Targetd.Storage.Errors;

/// <summary>
/// A refusal or failure of a storage adapter: a <see cref="StorageErrorKind"/> and a message fit to show a user.
/// The adapter changed nothing when it refuses.
/// </summary>
public sealed class StorageException : Exception
{
    /// <summary>Creates an error of a kind with a message.</summary>
    public StorageException(StorageErrorKind kind, string message)
        : base(message)
    {
        Kind = kind;
    }

    /// <summary>Creates an error of a kind with a message and its cause.</summary>
    public StorageException(StorageErrorKind kind, string message, Exception innerException)
        : base(message, innerException)
    {
        Kind = kind;
    }

    /// <summary>Creates a generic error (<see cref="StorageErrorKind.Failed"/>).</summary>
    public StorageException()
        : this(StorageErrorKind.Failed, "storage error")
    {
    }

    /// <summary>Creates a generic error (<see cref="StorageErrorKind.Failed"/>) with a message.</summary>
    public StorageException(string message)
        : this(StorageErrorKind.Failed, message)
    {
    }

    /// <summary>Creates a generic error (<see cref="StorageErrorKind.Failed"/>) with a message and its cause.</summary>
    public StorageException(string message, Exception innerException)
        : this(StorageErrorKind.Failed, message, innerException)
    {
    }

    /// <summary>What kind of refusal or failure this is.</summary>
    public StorageErrorKind Kind { get; }
}
