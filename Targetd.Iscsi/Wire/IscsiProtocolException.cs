namespace Targetd.Iscsi.Wire;

/// <summary>A violation of RFC 7143 after which the connection cannot continue and is closed.</summary>
internal sealed class IscsiProtocolException : Exception
{
    public IscsiProtocolException()
    {
    }

    public IscsiProtocolException(string message)
        : base(message)
    {
    }

    public IscsiProtocolException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
