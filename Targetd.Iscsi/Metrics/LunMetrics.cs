using System.Diagnostics;
using Targetd.Iscsi.Scsi;

namespace Targetd.Iscsi.Metrics;

/// <summary>
/// Records one logical unit's commands. The tag sets are built once per unit, so a command costs one histogram
/// measurement, and one counter measurement for a read or write that moved data.
/// </summary>
internal sealed class LunMetrics
{
    private readonly KeyValuePair<string, object?>[] _read;
    private readonly KeyValuePair<string, object?>[] _write;
    private readonly KeyValuePair<string, object?>[] _other;
    private readonly KeyValuePair<string, object?>[] _readBytes;
    private readonly KeyValuePair<string, object?>[] _writeBytes;
    private readonly KeyValuePair<string, object?>[] _unit;

    public LunMetrics(string targetName, int lun, string serial)
    {
        _unit = [new("target", targetName), new("lun", lun), new("serial", serial)];
        _read = With("kind", "read");
        _write = With("kind", "write");
        _other = With("kind", "other");
        _readBytes = With("direction", "read");
        _writeBytes = With("direction", "write");
    }

    public void Record(byte opcode, in ScsiResult result, long startTimestamp)
    {
        var kind = Kind((ScsiOpcode)opcode);
        if (IscsiMetrics.CommandDuration.Enabled)
        {
            IscsiMetrics.CommandDuration.Record(
                Stopwatch.GetElapsedTime(startTimestamp).TotalSeconds,
                kind switch { CommandKind.Read => _read, CommandKind.Write => _write, _ => _other });
        }

        if (result.Status == ScsiStatus.Good)
        {
            if (kind == CommandKind.Read && result.DataInLength > 0)
            {
                IscsiMetrics.Bytes.Add(result.DataInLength, _readBytes);
            }
            else if (kind == CommandKind.Write && result.TransferLength > 0)
            {
                IscsiMetrics.Bytes.Add(result.TransferLength, _writeBytes);
            }

            return;
        }

        string status = StatusName(result.Status);
        string senseKey = result.Sense is { } sense ? SenseKeyName(sense.Key) : string.Empty;
        IscsiMetrics.Errors.Add(1, [.. _unit, new("status", status), new("sense_key", senseKey)]);
    }

    public static CommandKind Kind(ScsiOpcode opcode) => opcode switch
    {
        ScsiOpcode.Read6 or ScsiOpcode.Read10 or ScsiOpcode.Read12 or ScsiOpcode.Read16 => CommandKind.Read,
        ScsiOpcode.Write6 or ScsiOpcode.Write10 or ScsiOpcode.Write12 or ScsiOpcode.Write16
            or ScsiOpcode.WriteAndVerify10 or ScsiOpcode.WriteAndVerify12 or ScsiOpcode.WriteAndVerify16
            or ScsiOpcode.CompareAndWrite or ScsiOpcode.OrWrite16 or ScsiOpcode.WriteAtomic16 => CommandKind.Write,
        _ => CommandKind.Other,
    };

    internal static string StatusName(ScsiStatus status) => status switch
    {
        ScsiStatus.CheckCondition => "check_condition",
        ScsiStatus.Busy => "busy",
        ScsiStatus.ReservationConflict => "reservation_conflict",
        ScsiStatus.TaskSetFull => "task_set_full",
        ScsiStatus.TaskAborted => "task_aborted",
        _ => "good",
    };

    internal static string SenseKeyName(SenseKey key) => key switch
    {
        SenseKey.NoSense => "no_sense",
        SenseKey.RecoveredError => "recovered_error",
        SenseKey.NotReady => "not_ready",
        SenseKey.MediumError => "medium_error",
        SenseKey.HardwareError => "hardware_error",
        SenseKey.IllegalRequest => "illegal_request",
        SenseKey.UnitAttention => "unit_attention",
        SenseKey.DataProtect => "data_protect",
        SenseKey.CopyAborted => "copy_aborted",
        SenseKey.AbortedCommand => "aborted_command",
        SenseKey.Miscompare => "miscompare",
        _ => "other",
    };

    private KeyValuePair<string, object?>[] With(string key, string value) => [.. _unit, new(key, value)];
}
