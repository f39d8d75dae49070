namespace Targetd.Iscsi.Server;

/// <summary>
/// Operational parameters of a session and connection (RFC 7143 §13), holding the defaults until login
/// negotiates otherwise.
/// </summary>
internal sealed class SessionParameters
{
    public bool HeaderDigest { get; set; }

    public bool DataDigest { get; set; }

    public int MaxConnections { get; set; } = 1;

    public bool InitialR2T { get; set; } = true;

    public bool ImmediateData { get; set; } = true;

    /// <summary>What the initiator declared it can receive: the cap on every data segment we send (§13.12).</summary>
    public int InitiatorMaxRecvDataSegmentLength { get; set; } = 8192;

    /// <summary>What we declared we can receive: the cap the framer enforces (§13.12).</summary>
    public int TargetMaxRecvDataSegmentLength { get; set; } = 8192;

    public int MaxBurstLength { get; set; } = 262144;

    public int FirstBurstLength { get; set; } = 65536;

    public int DefaultTime2Wait { get; set; } = 2;

    public int DefaultTime2Retain { get; set; } = 20;

    public int MaxOutstandingR2T { get; set; } = 1;

    public bool DataPduInOrder { get; set; } = true;

    public bool DataSequenceInOrder { get; set; } = true;

    public int ErrorRecoveryLevel { get; set; }
}
