namespace Targetd.Iscsi.Server;

/// <summary>Where a write command's Data-Out stands after a command or Data-Out PDU.</summary>
internal enum DataOutProgress
{
    /// <summary>All the data has arrived: the command may run.</summary>
    Complete,

    /// <summary>More unsolicited data is expected before any R2T.</summary>
    AwaitingUnsolicited,

    /// <summary>The rest is solicited: send the R2Ts that may be outstanding.</summary>
    Solicit,
}
