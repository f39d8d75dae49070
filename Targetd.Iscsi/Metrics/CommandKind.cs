namespace Targetd.Iscsi.Metrics;

/// <summary>How a command is counted: a read, a write, or any other command.</summary>
internal enum CommandKind
{
    Other,
    Read,
    Write,
}
