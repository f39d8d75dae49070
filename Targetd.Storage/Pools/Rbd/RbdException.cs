namespace Targetd.Storage.Pools.Rbd;

/// <summary>A librados or librbd call failed with a negative errno.</summary>
internal sealed class RbdException : IOException
{
    public const int ENOENT = 2;
    public const int EBUSY = 16;
    public const int EEXIST = 17;
    public const int EINVAL = 22;
    public const int ENOTEMPTY = 39;

    public RbdException(string operation, int errno)
        : base($"{operation} failed: {Describe(errno)}")
    {
        Operation = operation;
        Errno = errno;
    }

    public RbdException()
        : this("rbd", EINVAL)
    {
    }

    public RbdException(string message)
        : base(message)
    {
        Operation = "rbd";
        Errno = EINVAL;
    }

    public RbdException(string message, Exception innerException)
        : base(message, innerException)
    {
        Operation = "rbd";
        Errno = EINVAL;
    }

    /// <summary>The native call, e.g. <c>rbd_create</c>.</summary>
    public string Operation { get; }

    /// <summary>The positive errno (ENOENT = 2, ...).</summary>
    public int Errno { get; }

    /// <summary>Throws when a native return value is negative; returns it otherwise.</summary>
    public static long Check(long result, string operation) =>
        result < 0 ? throw new RbdException(operation, (int)-result) : result;

    private static string Describe(int errno) =>
        errno switch
        {
            ENOENT => "no such object (ENOENT)",
            EBUSY => "busy (EBUSY)",
            EEXIST => "exists (EEXIST)",
            EINVAL => "invalid argument (EINVAL)",
            ENOTEMPTY => "has snapshots or children (ENOTEMPTY)",
            110 => "timed out (ETIMEDOUT)",
            1 => "operation not permitted (EPERM)",
            13 => "permission denied (EACCES)",
            28 => "no space left (ENOSPC)",
            5 => "I/O error (EIO)",
            _ => $"errno {errno}",
        };
}
