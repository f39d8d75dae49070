namespace Targetd.Iscsi.Scsi;

/// <summary>Operation codes served (SPC-4 Annex E, SBC-3 §5).</summary>
internal enum ScsiOpcode : byte
{
    TestUnitReady = 0x00,
    RequestSense = 0x03,
    Read6 = 0x08,
    Write6 = 0x0A,
    Inquiry = 0x12,
    ModeSense6 = 0x1A,
    StartStopUnit = 0x1B,
    ReadCapacity10 = 0x25,
    Read10 = 0x28,
    Write10 = 0x2A,
    Verify10 = 0x2F,
    SynchronizeCache10 = 0x35,
    WriteSame10 = 0x41,
    Unmap = 0x42,
    ModeSense10 = 0x5A,
    PersistentReserveIn = 0x5E,
    Read16 = 0x88,
    Write16 = 0x8A,
    Verify16 = 0x8F,
    SynchronizeCache16 = 0x91,
    WriteSame16 = 0x93,
    ServiceActionIn16 = 0x9E,
    ReportLuns = 0xA0,
    MaintenanceIn = 0xA3,
    Read12 = 0xA8,
    Write12 = 0xAA,
    Verify12 = 0xAF,
}
