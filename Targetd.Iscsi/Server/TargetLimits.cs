namespace Targetd.Iscsi.Server;

/// <summary>What the target offers in operational negotiation (RFC 7143 §13).</summary>
internal static class TargetLimits
{
    /// <summary>Our declared MaxRecvDataSegmentLength.</summary>
    public const int MaxRecvDataSegmentLength = 262144;

    public const int MaxBurstLength = 1048576;

    public const int FirstBurstLength = 262144;

    public const int MaxOutstandingR2T = 16;

    public const int DefaultTime2Wait = 0;

    public const int DefaultTime2Retain = 0;

    /// <summary>The largest text (key=value data) accepted across continued Login or Text PDUs.</summary>
    public const int MaxTextLength = 65536;

    /// <summary>The TargetPortalGroupTag of every portal.</summary>
    public const int PortalGroupTag = 1;
}
