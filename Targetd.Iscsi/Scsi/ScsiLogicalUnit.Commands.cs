using Targetd.Iscsi.Scsi.Reservations;
using static Targetd.Iscsi.Scsi.ScsiCommandTraits;

namespace Targetd.Iscsi.Scsi;

/// <content>
/// The command table: one row per served operation code and service action, with its CDB usage data (SPC-4 §6.35.3;
/// field layouts from SPC-4 §6 and SBC-3 §5), reservation access class (SPC-4 §5.9.1, table 59), exemptions and
/// handler. Usage bits are set only for fields the handlers read (DPO and FUA too, as MODE SENSE's DPOFUA promises);
/// the control byte's NACA is not supported.
/// </content>
internal sealed partial class ScsiLogicalUnit
{
    private const ScsiCommandTraits Diagnostic = AllowedUnderReserve | ServedWhileSanitizing | IgnoresUnitAttention;
    private const ScsiCommandTraits Reads = MediumAccess;
    private const ScsiCommandTraits ChangesMedium = MediumAccess | Writes;

    /// <summary>Every command the logical unit serves.</summary>
    internal static IReadOnlyList<ScsiCommand> Commands { get; } =
    [
        Row(ScsiOpcode.TestUnitReady, null, "00 00 00 00 00 00", CommandAccess.Allowed, None, static (_, _, _) => Done(ScsiResult.Good())),
        Row(ScsiOpcode.RequestSense, null, "03 01 00 00 FF 00", CommandAccess.Allowed, Diagnostic, static (u, r, _) => Done(u.RequestSense(r))),
        Row(ScsiOpcode.Read6, null, "08 1F FF FF FF 00", CommandAccess.Read, Reads, static (u, r, c) => u.ReadAsync(r, c)),
        Row(ScsiOpcode.Write6, null, "0A 1F FF FF FF 00", CommandAccess.Write, ChangesMedium, static (u, r, c) => u.WriteAsync(r, c)),
        Row(ScsiOpcode.Inquiry, null, "12 03 FF FF FF 00", CommandAccess.Allowed, Diagnostic, static (u, r, _) => Done(u.Inquiry(r))),
        Row(ScsiOpcode.Reserve6, null, "16 00 00 00 00 00", CommandAccess.Allowed, None, static (u, r, c) => u.ReserveAsync(r, c)),
        Row(ScsiOpcode.Release6, null, "17 00 00 00 00 00", CommandAccess.Allowed, AllowedUnderReserve, static (u, r, c) => u.ReleaseAsync(r, c)),
        Row(ScsiOpcode.ModeSelect6, null, "15 11 00 00 FF 00", CommandAccess.Write, None, static (u, r, _) => Done(u.ModeSelect(r))),
        Row(ScsiOpcode.ModeSense6, null, "1A 08 FF FF FF 00", CommandAccess.Read, None, static (u, r, _) => Done(u.ModeSense(r))),
        Row(ScsiOpcode.StartStopUnit, null, "1B 00 00 00 00 00", CommandAccess.Write, None, static (_, _, _) => Done(ScsiResult.Good())),
        Row(ScsiOpcode.ReadCapacity10, null, "25 00 00 00 00 00 00 00 00 00", CommandAccess.Allowed, None, static (u, r, _) => Done(u.ReadCapacity10(r))),
        Row(ScsiOpcode.Read10, null, "28 F8 FF FF FF FF 00 FF FF 00", CommandAccess.Read, Reads, static (u, r, c) => u.ReadAsync(r, c)),
        Row(ScsiOpcode.Write10, null, "2A F8 FF FF FF FF 00 FF FF 00", CommandAccess.Write, ChangesMedium, static (u, r, c) => u.WriteAsync(r, c)),
        Row(ScsiOpcode.WriteAndVerify10, null, "2E F6 FF FF FF FF 00 FF FF 00", CommandAccess.Write, ChangesMedium, static (u, r, c) => u.WriteAndVerifyAsync(r, c)),
        Row(ScsiOpcode.Verify10, null, "2F F6 FF FF FF FF 00 FF FF 00", CommandAccess.Read, Reads, static (u, r, c) => u.VerifyAsync(r, c)),
        Row(ScsiOpcode.PreFetch10, null, "34 00 FF FF FF FF 00 FF FF 00", CommandAccess.Read, Reads, static (u, r, _) => Done(u.PreFetch(r))),
        Row(ScsiOpcode.SynchronizeCache10, null, "35 00 FF FF FF FF 00 FF FF 00", CommandAccess.Write, None, static (u, r, c) => u.SynchronizeCacheAsync(r, c)),
        Row(ScsiOpcode.ReadDefectData10, null, "37 00 1F 00 00 00 00 FF FF 00", CommandAccess.Read, None, static (_, r, _) => Done(ReadDefectData(r))),
        Row(ScsiOpcode.WriteSame10, null, "41 F8 FF FF FF FF 00 FF FF 00", CommandAccess.Write, ChangesMedium, static (u, r, c) => u.WriteSameAsync(r, c)),
        Row(ScsiOpcode.Unmap, null, "42 01 00 00 00 00 00 FF FF 00", CommandAccess.Write, ChangesMedium, static (u, r, c) => u.UnmapAsync(r, c)),
        Row(ScsiOpcode.Sanitize, SanitizeBlockErase, "48 A0 00 00 00 00 00 FF FF 00", CommandAccess.Write, Writes, static (u, r, c) => u.SanitizeAsync(r, c)),
        Row(ScsiOpcode.Sanitize, SanitizeExitFailureMode, "48 A0 00 00 00 00 00 FF FF 00", CommandAccess.Write, Writes, static (u, r, c) => u.SanitizeAsync(r, c)),
        Row(ScsiOpcode.ModeSelect10, null, "55 11 00 00 00 00 00 FF FF 00", CommandAccess.Write, None, static (u, r, _) => Done(u.ModeSelect(r))),
        Row(ScsiOpcode.Reserve10, null, "56 12 00 00 00 00 00 00 00 00", CommandAccess.Allowed, None, static (u, r, c) => u.ReserveAsync(r, c)),
        Row(ScsiOpcode.Release10, null, "57 12 00 00 00 00 00 00 00 00", CommandAccess.Allowed, AllowedUnderReserve, static (u, r, c) => u.ReleaseAsync(r, c)),
        Row(ScsiOpcode.ModeSense10, null, "5A 08 FF FF 00 00 00 FF FF 00", CommandAccess.Read, None, static (u, r, _) => Done(u.ModeSense(r))),
        .. PersistentReserveRows(),
        Row(ScsiOpcode.ExtendedCopy, 0x00, "83 00 00 00 00 00 00 00 00 00 FF FF FF FF 00 00", CommandAccess.Write, Writes, static (u, r, c) => u.ExtendedCopyAsync(r, c)),
        Row(ScsiOpcode.ReceiveCopyResults, 0x00, "84 00 FF 00 00 00 00 00 00 00 FF FF FF FF 00 00", CommandAccess.Read, None, static (u, r, _) => Done(u.ReceiveCopyResults(r))),
        Row(ScsiOpcode.ReceiveCopyResults, 0x03, "84 00 00 00 00 00 00 00 00 00 FF FF FF FF 00 00", CommandAccess.Read, None, static (u, r, _) => Done(u.ReceiveCopyResults(r))),
        Row(ScsiOpcode.Read16, null, "88 F8 FF FF FF FF FF FF FF FF FF FF FF FF 00 00", CommandAccess.Read, Reads, static (u, r, c) => u.ReadAsync(r, c)),
        Row(ScsiOpcode.CompareAndWrite, null, "89 F8 FF FF FF FF FF FF FF FF 00 00 00 FF 00 00", CommandAccess.Write, ChangesMedium, static (u, r, c) => u.CompareAndWriteAsync(r, c)),
        Row(ScsiOpcode.Write16, null, "8A F8 FF FF FF FF FF FF FF FF FF FF FF FF 00 00", CommandAccess.Write, ChangesMedium, static (u, r, c) => u.WriteAsync(r, c)),
        Row(ScsiOpcode.OrWrite16, null, "8B F8 FF FF FF FF FF FF FF FF FF FF FF FF 00 00", CommandAccess.Write, ChangesMedium, static (u, r, c) => u.OrWriteAsync(r, c)),
        Row(ScsiOpcode.WriteAndVerify16, null, "8E F6 FF FF FF FF FF FF FF FF FF FF FF FF 00 00", CommandAccess.Write, ChangesMedium, static (u, r, c) => u.WriteAndVerifyAsync(r, c)),
        Row(ScsiOpcode.Verify16, null, "8F F6 FF FF FF FF FF FF FF FF FF FF FF FF 00 00", CommandAccess.Read, Reads, static (u, r, c) => u.VerifyAsync(r, c)),
        Row(ScsiOpcode.PreFetch16, null, "90 00 FF FF FF FF FF FF FF FF FF FF FF FF 00 00", CommandAccess.Read, Reads, static (u, r, _) => Done(u.PreFetch(r))),
        Row(ScsiOpcode.SynchronizeCache16, null, "91 00 FF FF FF FF FF FF FF FF FF FF FF FF 00 00", CommandAccess.Write, None, static (u, r, c) => u.SynchronizeCacheAsync(r, c)),
        Row(ScsiOpcode.WriteSame16, null, "93 F9 FF FF FF FF FF FF FF FF FF FF FF FF 00 00", CommandAccess.Write, ChangesMedium, static (u, r, c) => u.WriteSameAsync(r, c)),
        Row(ScsiOpcode.WriteAtomic16, null, "9C F8 FF FF FF FF FF FF FF FF 00 00 FF FF 00 00", CommandAccess.Write, ChangesMedium, static (u, r, c) => u.WriteAtomicAsync(r, c)),
        Row(ScsiOpcode.ServiceActionIn16, ScsiCommandTable.ReadCapacity16, "9E 00 00 00 00 00 00 00 00 00 FF FF FF FF 00 00", CommandAccess.Allowed, None, static (u, r, c) => u.ServiceActionInAsync(r, c)),
        Row(ScsiOpcode.ServiceActionIn16, ScsiCommandTable.GetLbaStatus, "9E 00 FF FF FF FF FF FF FF FF FF FF FF FF 00 00", CommandAccess.Read, None, static (u, r, c) => u.ServiceActionInAsync(r, c)),
        Row(ScsiOpcode.ReportLuns, null, "A0 00 FF 00 00 00 FF FF FF FF 00 00", CommandAccess.Allowed, Diagnostic, static (u, r, _) => Done(u.ReportLuns(r))),
        Row(ScsiOpcode.MaintenanceIn, ScsiCommandTable.ReportTargetPortGroups, "A3 E0 00 00 00 00 FF FF FF FF 00 00", CommandAccess.Allowed, AllowedUnderReserve, static (u, r, _) => Done(u._device.PortGroups.Report(r))),
        Row(ScsiOpcode.MaintenanceIn, ScsiCommandTable.ReportSupportedOperationCodes, "A3 00 87 FF FF FF FF FF FF FF 00 00", CommandAccess.Allowed, None, static (_, r, _) => Done(ScsiSupportedOperationCodes.Report(r))),
        Row(ScsiOpcode.Read12, null, "A8 F8 FF FF FF FF FF FF FF FF 00 00", CommandAccess.Read, Reads, static (u, r, c) => u.ReadAsync(r, c)),
        Row(ScsiOpcode.Write12, null, "AA F8 FF FF FF FF FF FF FF FF 00 00", CommandAccess.Write, ChangesMedium, static (u, r, c) => u.WriteAsync(r, c)),
        Row(ScsiOpcode.WriteAndVerify12, null, "AE F6 FF FF FF FF FF FF FF FF 00 00", CommandAccess.Write, ChangesMedium, static (u, r, c) => u.WriteAndVerifyAsync(r, c)),
        Row(ScsiOpcode.Verify12, null, "AF F6 FF FF FF FF FF FF FF FF 00 00", CommandAccess.Read, Reads, static (u, r, c) => u.VerifyAsync(r, c)),
        Row(ScsiOpcode.ReadDefectData12, null, "B7 1F 00 00 00 00 FF FF FF FF 00 00", CommandAccess.Read, None, static (_, r, _) => Done(ReadDefectData(r))),
    ];

    /// <summary>PERSISTENT RESERVE IN (SPC-4 §6.14) and OUT (§6.15), one row per service action.</summary>
    private static IEnumerable<ScsiCommand> PersistentReserveRows()
    {
        for (byte action = 0x00; action <= 0x03; action++)
        {
            yield return Row(ScsiOpcode.PersistentReserveIn, action, "5E 00 00 00 00 00 00 FF FF 00", CommandAccess.Allowed, None, static (u, r, _) => Done(u.PersistentReserveIn(r)));
        }

        for (byte action = 0x00; action <= 0x06; action++)
        {
            yield return Row(ScsiOpcode.PersistentReserveOut, action, "5F 00 FF 00 00 FF FF FF FF 00", CommandAccess.Allowed, None, static (u, r, c) => u.PersistentReserveOutAsync(r, c));
        }
    }

    private static ValueTask<ScsiResult> Done(ScsiResult result) => ValueTask.FromResult(result);

    /// <summary>A row: the usage data written as hex bytes; for a service action its value goes into byte 1, bits 0-4.</summary>
    private static ScsiCommand Row(ScsiOpcode opcode, byte? serviceAction, string usage, CommandAccess access, ScsiCommandTraits traits, ScsiCommandHandler handler)
    {
        byte[] bytes = Convert.FromHexString(usage.Replace(" ", string.Empty, StringComparison.Ordinal));
        if (serviceAction is { } action)
        {
            bytes[1] = (byte)((bytes[1] & 0xE0) | action);
        }

        return new ScsiCommand(opcode, serviceAction, bytes, access, traits, handler);
    }
}
