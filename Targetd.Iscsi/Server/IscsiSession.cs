using System.Collections.Concurrent;
using Targetd.Iscsi.Targets;

namespace Targetd.Iscsi.Server;

/// <summary>
/// What belongs to an iSCSI session rather than to one of its connections (RFC 7143 §4.2.2.1, §3.4): the command
/// window, the task table, the buffer budget its commands draw on, and once it has logged in its TSIH, its I_T nexus
/// and its registration. With MaxConnections=1 a session has one connection, which makes it at login.
/// </summary>
internal sealed class IscsiSession
{
    private readonly int _queueDepth;

    public IscsiSession(int queueDepth, long bufferBytes)
    {
        _queueDepth = queueDepth;
        Buffers = new BufferBudget(bufferBytes);
    }

    /// <summary>The CmdSN window.</summary>
    public CommandWindow Window { get; } = new();

    /// <summary>The session's tasks by Initiator Task Tag, from their command until their response is on its way.</summary>
    public ConcurrentDictionary<uint, IscsiTask> Tasks { get; } = new();

    /// <summary>What the session's commands may hold for their data until they are answered.</summary>
    public BufferBudget Buffers { get; }

    /// <summary>How many commands the session may have queued.</summary>
    public int QueueDepth => _queueDepth;

    /// <summary>Whether another command fits in the queue.</summary>
    public bool HasRoom => Tasks.Count < _queueDepth;

    /// <summary>The registry's id of the session (its I_T nexus on the units), once it has logged in.</summary>
    public ulong Id { get; private set; }

    /// <summary>The session as the registry lists it, once it has logged in.</summary>
    public IscsiSessionInfo? Info { get; private set; }

    /// <summary>SPC-4 §7.5.4.6: the iSCSI initiator port name, "&lt;iSCSI name&gt;,i,0x&lt;ISID&gt;".</summary>
    public string? InitiatorPort { get; private set; }

    /// <summary>The target a normal session logged in to; null for discovery.</summary>
    public IscsiTarget? Target { get; private set; }

    public string InitiatorName => Info?.InitiatorName ?? string.Empty;

    /// <summary>Whether the session is registered (logged in and not yet ended).</summary>
    public bool IsRegistered { get; private set; }

    /// <summary>ExpCmdSN and MaxCmdSN for a response, MaxCmdSN following the free queue slots.</summary>
    public (uint ExpCmdSN, uint MaxCmdSN) AdvertiseWindow() => Window.Advertise(_queueDepth - Tasks.Count);

    /// <summary>Records the logged-in session with the registry (reinstating an older one of the same initiator and ISID).</summary>
    public void Register(IscsiTargetRegistry registry, IscsiSessionInfo info, IscsiTarget? target, Action<IscsiSessionCloseReason> close)
    {
        Info = info;
        Target = target;
        InitiatorPort = info.InitiatorName + ",i,0x" + info.Isid;
        Id = registry.Register(info, target, close);
        IsRegistered = true;
    }

    /// <summary>Ends the session with the registry and tells every unit its I_T nexus has gone; safe to repeat.</summary>
    public void Unregister(IscsiTargetRegistry registry)
    {
        if (IsRegistered)
        {
            registry.Unregister(Id);
            ForgetNexus();
        }
    }

    /// <summary>Tells every unit of the target that this session's I_T nexus has gone (releasing RESERVE); safe to repeat.</summary>
    public void ForgetNexus()
    {
        if (IsRegistered && Target is { } target)
        {
            foreach (var unit in target.UnitsFor(InitiatorName).Values)
            {
                unit.ForgetNexus(Id);
            }
        }
    }
}
