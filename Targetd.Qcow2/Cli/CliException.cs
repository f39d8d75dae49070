namespace Targetd.Qcow2.Cli;

/// <summary>A command-line error: printed as <c>qemu-img: message</c> with exit status 1.</summary>
internal sealed class CliException : Exception
{
    public CliException()
    {
    }

    public CliException(string message)
        : base(message)
    {
    }

    public CliException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
