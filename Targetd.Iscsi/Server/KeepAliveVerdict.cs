namespace Targetd.Iscsi.Server;

/// <summary>What one check of a connection's timeouts asks the connection to do.</summary>
internal enum KeepAliveVerdict
{
    /// <summary>Nothing: the connection is alive.</summary>
    None,

    /// <summary>Send a NOP-In that asks for a NOP-Out in answer (RFC 7143 §11.19).</summary>
    Ping,

    /// <summary>Close: the login phase did not end within the login timeout.</summary>
    LoginTimedOut,

    /// <summary>Close: nothing arrived within the response timeout after a ping.</summary>
    PingUnanswered,

    /// <summary>Close: one send has waited longer than the initiator may take to read it.</summary>
    SendStalled,
}
