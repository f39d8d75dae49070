namespace Targetd.Iscsi.Scsi;

/// <summary>
/// Finds the row of the command table (<see cref="ScsiLogicalUnit.Commands"/>) for a CDB: by operation code, then by
/// service action for the opcodes that have them.
/// </summary>
internal static class ScsiCommandTable
{
    /// <summary>SERVICE ACTION IN(16): READ CAPACITY(16) (SBC-3 §5.16).</summary>
    public const byte ReadCapacity16 = 0x10;

    /// <summary>SERVICE ACTION IN(16): GET LBA STATUS (SBC-3 §5.5).</summary>
    public const byte GetLbaStatus = 0x12;

    /// <summary>MAINTENANCE IN: REPORT SUPPORTED OPERATION CODES (SPC-4 §6.35).</summary>
    public const byte ReportSupportedOperationCodes = 0x0C;

    /// <summary>MAINTENANCE IN service action REPORT TARGET PORT GROUPS (SPC-4 §6.27).</summary>
    public const byte ReportTargetPortGroups = 0x0A;

    private static readonly ScsiCommand?[] ByOpcode = new ScsiCommand?[256];
    private static readonly Dictionary<(byte Opcode, byte ServiceAction), ScsiCommand> ByServiceAction = [];
    private static readonly bool[] WithServiceActions = new bool[256];

    static ScsiCommandTable()
    {
        foreach (var command in Commands)
        {
            byte opcode = (byte)command.Opcode;
            if (command.ServiceAction is { } action)
            {
                WithServiceActions[opcode] = true;
                ByServiceAction.Add((opcode, action), command);
            }
            else
            {
                ByOpcode[opcode] = command;
            }
        }
    }

    /// <summary>Every served command, in the order REPORT SUPPORTED OPERATION CODES lists them.</summary>
    public static IReadOnlyList<ScsiCommand> Commands => ScsiLogicalUnit.Commands;

    /// <summary>Whether the opcode has service actions (byte 1, bits 0-4).</summary>
    public static bool HasServiceActions(byte opcode) => WithServiceActions[opcode];

    /// <summary>The row for an opcode and, when it has service actions, the service action; null when not served.</summary>
    public static ScsiCommand? Find(byte opcode, byte serviceAction) =>
        WithServiceActions[opcode]
            ? ByServiceAction.GetValueOrDefault((opcode, (byte)(serviceAction & 0x1F)))
            : ByOpcode[opcode];
}
