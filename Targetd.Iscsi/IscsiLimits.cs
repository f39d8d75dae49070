using System.Globalization;

namespace Targetd.Iscsi;

/// <summary>
/// The bounds on what initiators may make a target hold: commands and their data per session, data across every
/// session, and how many sessions and connections there may be. Set on
/// <see cref="Targets.IscsiTargetRegistry.Limits"/>; every portal serving the registry applies them.
/// </summary>
/// <remarks>
/// The defaults keep LIO's behaviour: LIO bounds the command window of a session (<c>default_cmdsn_depth</c>) but
/// not the number of sessions or connections, so neither is bounded here unless set. A count limit on sessions is
/// also one an initiator that names itself can fill: without CHAP, an initiator name proves nothing, so low session
/// limits let one host lock others out. Memory stays bounded without them: the data held by commands is bounded by
/// <see cref="SessionBufferBytes"/> and <see cref="BufferBudgetBytes"/>, connections that never log in are closed
/// after <see cref="ConnectionTimeouts.Login"/>, and a portal out of file descriptors waits before it accepts again.
/// </remarks>
public sealed record IscsiLimits
{
    /// <summary>The default <see cref="QueueDepth"/>: 128, open-iscsi's <c>node.session.cmds_max</c>.</summary>
    public const int DefaultQueueDepth = 128;

    /// <summary>The largest <see cref="QueueDepth"/>: 512, LIO's largest <c>default_cmdsn_depth</c>.</summary>
    public const int MaxQueueDepth = 512;

    /// <summary>The default <see cref="SessionBufferBytes"/>: 128 MiB, a full queue of 1 MiB commands.</summary>
    public const long DefaultSessionBufferBytes = 128L << 20;

    /// <summary>The default <see cref="BufferBudgetBytes"/>: 1 GiB.</summary>
    public const long DefaultBufferBudgetBytes = 1L << 30;

    /// <summary>
    /// The smallest buffer budget the configuration keys take: 8 MiB, the data of the largest command the target takes
    /// (a budget below it refuses the largest commands every time).
    /// </summary>
    public const long MinBufferBytes = Scsi.ScsiLogicalUnit.MaxTransferBytes;

    private readonly int _queueDepth = DefaultQueueDepth;
    private readonly long _sessionBufferBytes = DefaultSessionBufferBytes;
    private readonly long _bufferBudgetBytes = DefaultBufferBudgetBytes;
    private readonly int _maxSessionsPerTarget;
    private readonly int _maxSessionsPerInitiator;
    private readonly int _maxConnectionsPerPortal;

    /// <summary>The defaults: LIO's behaviour, with the buffer budgets of 128 MiB per session and 1 GiB in all.</summary>
    public static IscsiLimits Default { get; } = new();

    /// <summary>
    /// The CmdSN window: how many commands a session may have outstanding (RFC 7143 §3.2.2.1), immediate commands
    /// and repeated CmdSNs included; beyond it a command ends with TASK SET FULL. 1 to <see cref="MaxQueueDepth"/>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Outside 1 to <see cref="MaxQueueDepth"/>.</exception>
    public int QueueDepth
    {
        get => _queueDepth;
        init
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(value, MaxQueueDepth);
            _queueDepth = value;
        }
    }

    /// <summary>
    /// The data one session's commands may hold until they are answered (Data-Out received, Data-In not yet taken by
    /// the initiator); a command that would pass it ends with TASK SET FULL. Positive; see <see cref="MinBufferBytes"/>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Zero or negative.</exception>
    public long SessionBufferBytes
    {
        get => _sessionBufferBytes;
        init
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(value);
            _sessionBufferBytes = value;
        }
    }

    /// <summary>
    /// The data the commands of every session of the registry may hold together; a command that would pass it ends
    /// with TASK SET FULL. Positive; see <see cref="MinBufferBytes"/>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Zero or negative.</exception>
    public long BufferBudgetBytes
    {
        get => _bufferBudgetBytes;
        init
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(value);
            _bufferBudgetBytes = value;
        }
    }

    /// <summary>
    /// How many normal sessions one target may have (discovery sessions are not counted); a login beyond it is
    /// refused with "out of resources" (RFC 7143 §11.13.5). A login that reinstates a session of the same initiator
    /// and ISID is not refused. 0, the default, for no limit.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Negative.</exception>
    public int MaxSessionsPerTarget
    {
        get => _maxSessionsPerTarget;
        init
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            _maxSessionsPerTarget = value;
        }
    }

    /// <summary>
    /// How many normal sessions one initiator name may have across every target of the registry; a login beyond it
    /// is refused with "out of resources". A reinstating login is not refused. 0, the default, for no limit.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Negative.</exception>
    public int MaxSessionsPerInitiator
    {
        get => _maxSessionsPerInitiator;
        init
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            _maxSessionsPerInitiator = value;
        }
    }

    /// <summary>
    /// How many connections one portal serves at once, those still logging in included; a connection beyond it is
    /// closed as soon as it is accepted, before anything is read from it. 0, the default, for no limit (the process's
    /// file descriptor limit then bounds it).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Negative.</exception>
    public int MaxConnectionsPerPortal
    {
        get => _maxConnectionsPerPortal;
        init
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            _maxConnectionsPerPortal = value;
        }
    }

    /// <summary>The configuration keys <see cref="WithSetting"/> reads, as both daemons name them.</summary>
    public static IReadOnlyList<string> SettingKeys { get; } =
    [
        "queue_depth", "session_buffer_mib", "buffer_budget_mib", "max_sessions_per_target", "max_sessions_per_initiator", "max_connections_per_portal",
    ];

    /// <summary>
    /// These limits with one configuration key applied: <c>queue_depth</c> (1 to 512), <c>session_buffer_mib</c> and
    /// <c>buffer_budget_mib</c> (MiB, at least 8), <c>max_sessions_per_target</c>, <c>max_sessions_per_initiator</c> and
    /// <c>max_connections_per_portal</c> (0 for no limit), each a whole number.
    /// </summary>
    /// <exception cref="ArgumentException">
    /// The key is not one of <see cref="SettingKeys"/>, or the value is not valid for it; the message names the key.
    /// </exception>
    public IscsiLimits WithSetting(string key, string value)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(value);
        return key switch
        {
            "queue_depth" => this with { QueueDepth = (int)Number(key, value, 1, MaxQueueDepth) },
            "session_buffer_mib" => this with { SessionBufferBytes = Number(key, value, MinBufferBytes >> 20, 1L << 20) << 20 },
            "buffer_budget_mib" => this with { BufferBudgetBytes = Number(key, value, MinBufferBytes >> 20, 1L << 20) << 20 },
            "max_sessions_per_target" => this with { MaxSessionsPerTarget = (int)Number(key, value, 0, int.MaxValue) },
            "max_sessions_per_initiator" => this with { MaxSessionsPerInitiator = (int)Number(key, value, 0, int.MaxValue) },
            "max_connections_per_portal" => this with { MaxConnectionsPerPortal = (int)Number(key, value, 0, int.MaxValue) },
            _ => throw new ArgumentException($"{key}: not a limit ({string.Join(", ", SettingKeys)})", nameof(key)),
        };
    }

    /// <summary>The limits as configuration keys and values, one line, 0 meaning no limit.</summary>
    public string Describe() => string.Create(
        CultureInfo.InvariantCulture,
        $"queue_depth: {QueueDepth}, session_buffer_mib: {SessionBufferBytes >> 20}, buffer_budget_mib: {BufferBudgetBytes >> 20}, max_sessions_per_target: {MaxSessionsPerTarget}, max_sessions_per_initiator: {MaxSessionsPerInitiator}, max_connections_per_portal: {MaxConnectionsPerPortal}");

    private static long Number(string key, string value, long min, long max) =>
        long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out long number) && number >= min && number <= max
            ? number
            : throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"{key}: '{value}' is not a whole number from {min} to {max}{(min == 0 ? " (0: no limit)" : string.Empty)}"));
}
