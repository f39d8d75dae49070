namespace Targetd.Iscsi.Scsi;

/// <summary>The commands a logical unit serves, with their CDB lengths, for dispatch and REPORT SUPPORTED OPERATION CODES.</summary>
internal static class ScsiCommandTable
{
    /// <summary>SERVICE ACTION IN(16): READ CAPACITY(16) (SBC-3 §5.16).</summary>
    public const byte ReadCapacity16 = 0x10;

    /// <summary>SERVICE ACTION IN(16): GET LBA STATUS (SBC-3 §5.5).</summary>
    public const byte GetLbaStatus = 0x12;

    /// <summary>MAINTENANCE IN: REPORT SUPPORTED OPERATION CODES (SPC-4 §6.35).</summary>
    public const byte ReportSupportedOperationCodes = 0x0C;

    /// <summary>Each served command: opcode, service action (null when the opcode has none) and CDB length.</summary>
    public static IReadOnlyList<(ScsiOpcode Opcode, byte? ServiceAction, int CdbLength)> Commands { get; } =
    [
        (ScsiOpcode.TestUnitReady, null, 6),
        (ScsiOpcode.RequestSense, null, 6),
        (ScsiOpcode.Read6, null, 6),
        (ScsiOpcode.Write6, null, 6),
        (ScsiOpcode.Inquiry, null, 6),
        (ScsiOpcode.Reserve6, null, 6),
        (ScsiOpcode.Release6, null, 6),
        (ScsiOpcode.ModeSelect6, null, 6),
        (ScsiOpcode.ModeSense6, null, 6),
        (ScsiOpcode.StartStopUnit, null, 6),
        (ScsiOpcode.ReadCapacity10, null, 10),
        (ScsiOpcode.Read10, null, 10),
        (ScsiOpcode.Write10, null, 10),
        (ScsiOpcode.WriteAndVerify10, null, 10),
        (ScsiOpcode.Verify10, null, 10),
        (ScsiOpcode.PreFetch10, null, 10),
        (ScsiOpcode.SynchronizeCache10, null, 10),
        (ScsiOpcode.ReadDefectData10, null, 10),
        (ScsiOpcode.WriteSame10, null, 10),
        (ScsiOpcode.Unmap, null, 10),
        (ScsiOpcode.Sanitize, 0x02, 10),
        (ScsiOpcode.Sanitize, 0x1F, 10),
        (ScsiOpcode.ModeSelect10, null, 10),
        (ScsiOpcode.Reserve10, null, 10),
        (ScsiOpcode.Release10, null, 10),
        (ScsiOpcode.ModeSense10, null, 10),
        (ScsiOpcode.PersistentReserveIn, 0x00, 10),
        (ScsiOpcode.PersistentReserveIn, 0x01, 10),
        (ScsiOpcode.PersistentReserveIn, 0x02, 10),
        (ScsiOpcode.PersistentReserveIn, 0x03, 10),
        (ScsiOpcode.PersistentReserveOut, 0x00, 10),
        (ScsiOpcode.PersistentReserveOut, 0x01, 10),
        (ScsiOpcode.PersistentReserveOut, 0x02, 10),
        (ScsiOpcode.PersistentReserveOut, 0x03, 10),
        (ScsiOpcode.PersistentReserveOut, 0x04, 10),
        (ScsiOpcode.PersistentReserveOut, 0x05, 10),
        (ScsiOpcode.PersistentReserveOut, 0x06, 10),
        (ScsiOpcode.ExtendedCopy, 0x00, 16),
        (ScsiOpcode.ReceiveCopyResults, 0x00, 16),
        (ScsiOpcode.ReceiveCopyResults, 0x03, 16),
        (ScsiOpcode.Read16, null, 16),
        (ScsiOpcode.CompareAndWrite, null, 16),
        (ScsiOpcode.Write16, null, 16),
        (ScsiOpcode.OrWrite16, null, 16),
        (ScsiOpcode.WriteAndVerify16, null, 16),
        (ScsiOpcode.Verify16, null, 16),
        (ScsiOpcode.PreFetch16, null, 16),
        (ScsiOpcode.SynchronizeCache16, null, 16),
        (ScsiOpcode.WriteSame16, null, 16),
        (ScsiOpcode.WriteAtomic16, null, 16),
        (ScsiOpcode.ServiceActionIn16, ReadCapacity16, 16),
        (ScsiOpcode.ServiceActionIn16, GetLbaStatus, 16),
        (ScsiOpcode.ReportLuns, null, 12),
        (ScsiOpcode.MaintenanceIn, ReportSupportedOperationCodes, 12),
        (ScsiOpcode.Read12, null, 12),
        (ScsiOpcode.Write12, null, 12),
        (ScsiOpcode.WriteAndVerify12, null, 12),
        (ScsiOpcode.Verify12, null, 12),
        (ScsiOpcode.ReadDefectData12, null, 12),
    ];

    /// <summary>Whether the opcode has service actions (byte 1, bits 0-4).</summary>
    public static bool HasServiceActions(byte opcode) =>
        opcode is (byte)ScsiOpcode.ServiceActionIn16 or (byte)ScsiOpcode.MaintenanceIn or (byte)ScsiOpcode.PersistentReserveIn
        or (byte)ScsiOpcode.PersistentReserveOut or (byte)ScsiOpcode.ExtendedCopy or (byte)ScsiOpcode.ReceiveCopyResults
        or (byte)ScsiOpcode.Sanitize;
}
