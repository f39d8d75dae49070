using Targetd.Iscsi.Wire;

namespace Targetd.Iscsi.Server;

/// <summary>
/// A session's command numbering (RFC 7143 §4.2.2.1): ExpCmdSN, the next CmdSN expected, and MaxCmdSN, the last one the
/// initiator may send; together the window in which non-immediate commands are accepted.
/// </summary>
internal sealed class CommandWindow
{
    private uint _expCmdSN;
    private uint _maxCmdSN;

    public uint ExpCmdSN => Volatile.Read(ref _expCmdSN);

    public uint MaxCmdSN => Volatile.Read(ref _maxCmdSN);

    /// <summary>§11.12.6: the CmdSN of the first Login Request is the one the first command will carry.</summary>
    public void Start(uint cmdSN, int queueDepth)
    {
        _expCmdSN = cmdSN;
        _maxCmdSN = cmdSN + (uint)queueDepth - 1;
    }

    /// <summary>
    /// Whether a request carrying <paramref name="cmdSN"/> is to be processed: an immediate one always is; a
    /// non-immediate one inside [ExpCmdSN, MaxCmdSN] is and advances ExpCmdSN when it is the one expected; one outside
    /// is ignored.
    /// </summary>
    public bool Accept(uint cmdSN, bool immediate)
    {
        if (immediate)
        {
            return true;
        }

        uint expected = ExpCmdSN;
        if (!SerialNumber.InWindow(cmdSN, expected, MaxCmdSN))
        {
            return false;
        }

        if (cmdSN == expected)
        {
            Volatile.Write(ref _expCmdSN, expected + 1);
        }

        return true;
    }

    /// <summary>Whether <paramref name="cmdSN"/> lies in the current window.</summary>
    public bool Contains(uint cmdSN) => SerialNumber.InWindow(cmdSN, ExpCmdSN, MaxCmdSN);

    /// <summary>
    /// The numbers a response advertises: ExpCmdSN, and MaxCmdSN as ExpCmdSN plus the free queue slots minus one, never
    /// below what was advertised before, since "MaxCmdSN ... values lower than the current ... are ignored" by initiators.
    /// </summary>
    public (uint ExpCmdSN, uint MaxCmdSN) Advertise(int freeSlots)
    {
        uint expected = ExpCmdSN;
        uint candidate = expected + (uint)Math.Max(0, freeSlots) - 1;
        uint max = SerialNumber.Max(MaxCmdSN, candidate);
        Volatile.Write(ref _maxCmdSN, max);
        return (expected, max);
    }
}
