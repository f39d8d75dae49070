namespace Targetd.Iscsi.Scsi;

/// <summary>Named sense data (SPC-4 Annex D additional sense codes); call sites never build sense by hand.</summary>
internal static class Sense
{
    /// <summary>NO SENSE: nothing to report (REQUEST SENSE with no pending condition).</summary>
    public static SenseData NoSense() => new(SenseKey.NoSense, 0x00, 0x00);

    /// <summary>ILLEGAL REQUEST, LOGICAL BLOCK ADDRESS OUT OF RANGE (21h/00h).</summary>
    public static SenseData LbaOutOfRange() => new(SenseKey.IllegalRequest, 0x21, 0x00);

    /// <summary>ILLEGAL REQUEST, INVALID COMMAND OPERATION CODE (20h/00h).</summary>
    public static SenseData InvalidOpcode() => new(SenseKey.IllegalRequest, 0x20, 0x00, FieldPointer: 0, BitPointer: 7);

    /// <summary>ILLEGAL REQUEST, INVALID FIELD IN CDB (24h/00h), pointing at the byte (and bit) in error.</summary>
    public static SenseData InvalidFieldInCdb(int fieldByte, int? bit = null) =>
        new(SenseKey.IllegalRequest, 0x24, 0x00, (ushort)fieldByte, InCdb: true, BitPointer: (byte?)bit);

    /// <summary>ILLEGAL REQUEST, INVALID FIELD IN PARAMETER LIST (26h/00h).</summary>
    public static SenseData InvalidFieldInParameterList(int fieldByte) =>
        new(SenseKey.IllegalRequest, 0x26, 0x00, (ushort)fieldByte, InCdb: false);

    /// <summary>ILLEGAL REQUEST, PARAMETER LIST LENGTH ERROR (1Ah/00h).</summary>
    public static SenseData ParameterListLengthError() => new(SenseKey.IllegalRequest, 0x1A, 0x00);

    /// <summary>ILLEGAL REQUEST, LOGICAL UNIT NOT SUPPORTED (25h/00h): the LUN is not mapped.</summary>
    public static SenseData LogicalUnitNotSupported() => new(SenseKey.IllegalRequest, 0x25, 0x00);

    /// <summary>ILLEGAL REQUEST, SAVING PARAMETERS NOT SUPPORTED (39h/00h).</summary>
    public static SenseData SavingParametersNotSupported() => new(SenseKey.IllegalRequest, 0x39, 0x00);

    /// <summary>UNIT ATTENTION with the given additional sense code.</summary>
    public static SenseData UnitAttention(byte asc, byte ascq) => new(SenseKey.UnitAttention, asc, ascq);

    /// <summary>UNIT ATTENTION, POWER ON, RESET, OR BUS DEVICE RESET OCCURRED (29h/00h).</summary>
    public static SenseData ResetOccurred() => UnitAttention(0x29, 0x00);

    /// <summary>UNIT ATTENTION, BUS DEVICE RESET FUNCTION OCCURRED (29h/03h): after a LOGICAL UNIT RESET.</summary>
    public static SenseData LogicalUnitResetOccurred() => UnitAttention(0x29, 0x03);

    /// <summary>DATA PROTECT, WRITE PROTECTED (27h/00h).</summary>
    public static SenseData WriteProtected() => new(SenseKey.DataProtect, 0x27, 0x00);

    /// <summary>DATA PROTECT, LOGICAL UNIT SOFTWARE WRITE PROTECTED (27h/02h): the SWP bit of the Control mode page is set.</summary>
    public static SenseData SoftwareWriteProtected() => new(SenseKey.DataProtect, 0x27, 0x02);

    /// <summary>UNIT ATTENTION, MODE PARAMETERS CHANGED (2Ah/01h): another initiator changed a mode page.</summary>
    public static SenseData ModeParametersChanged() => UnitAttention(0x2A, 0x01);

    /// <summary>UNIT ATTENTION, ASYMMETRIC ACCESS STATE CHANGED (2Ah/06h; SPC-4 §5.16.2.4).</summary>
    public static SenseData AsymmetricAccessStateChanged() => UnitAttention(0x2A, 0x06);

    /// <summary>UNIT ATTENTION, CAPACITY DATA HAS CHANGED (2Ah/09h).</summary>
    public static SenseData CapacityDataHasChanged() => UnitAttention(0x2A, 0x09);

    /// <summary>MEDIUM ERROR, UNRECOVERED READ ERROR (11h/00h).</summary>
    public static SenseData ReadError() => new(SenseKey.MediumError, 0x11, 0x00);

    /// <summary>MEDIUM ERROR, WRITE ERROR (0Ch/00h).</summary>
    public static SenseData WriteError() => new(SenseKey.MediumError, 0x0C, 0x00);

    /// <summary>MISCOMPARE, MISCOMPARE DURING VERIFY OPERATION (1Dh/00h) at a byte offset of the data-out buffer.</summary>
    public static SenseData MiscompareDuringVerify(uint offset) => new(SenseKey.Miscompare, 0x1D, 0x00, Information: offset);

    /// <summary>ABORTED COMMAND, DATA PHASE ERROR (4Bh/00h): the transport could not deliver the data.</summary>
    public static SenseData DataPhaseError() => new(SenseKey.AbortedCommand, 0x4B, 0x00);

    /// <summary>ILLEGAL REQUEST, INVALID FIELD IN INFORMATION UNIT (0Eh/03h): the transfer length does not fit the CDB.</summary>
    public static SenseData InvalidFieldInInformationUnit() => new(SenseKey.IllegalRequest, 0x0E, 0x03);

    /// <summary>UNIT ATTENTION, RESERVATIONS PREEMPTED (2Ah/03h): another initiator cleared the reservations.</summary>
    public static SenseData ReservationsPreempted() => UnitAttention(0x2A, 0x03);

    /// <summary>
    /// NOT READY, LOGICAL UNIT COMMUNICATION FAILURE (08h/00h): the reservations a cluster holds cannot be reached, so
    /// no command that needs them is decided.
    /// </summary>
    public static SenseData ReservationStateUnreachable() => new(SenseKey.NotReady, 0x08, 0x00);

    /// <summary>UNIT ATTENTION, RESERVATIONS RELEASED (2Ah/04h): a registrants-only or all-registrants reservation was released.</summary>
    public static SenseData ReservationsReleased() => UnitAttention(0x2A, 0x04);

    /// <summary>UNIT ATTENTION, REGISTRATIONS PREEMPTED (2Ah/05h): this initiator's registration was removed by another.</summary>
    public static SenseData RegistrationsPreempted() => UnitAttention(0x2A, 0x05);

    /// <summary>ILLEGAL REQUEST, INVALID RELEASE OF PERSISTENT RESERVATION (26h/04h): the type differs from the one held.</summary>
    public static SenseData InvalidReleaseOfPersistentReservation() => new(SenseKey.IllegalRequest, 0x26, 0x04);

    /// <summary>ILLEGAL REQUEST, TOO MANY TARGET DESCRIPTORS (26h/06h).</summary>
    public static SenseData TooManyTargetDescriptors() => new(SenseKey.IllegalRequest, 0x26, 0x06);

    /// <summary>ILLEGAL REQUEST, UNSUPPORTED TARGET DESCRIPTOR TYPE CODE (26h/07h), pointing at the descriptor.</summary>
    public static SenseData UnsupportedTargetDescriptorType(int fieldByte) => new(SenseKey.IllegalRequest, 0x26, 0x07, (ushort)fieldByte, InCdb: false);

    /// <summary>ILLEGAL REQUEST, TOO MANY SEGMENT DESCRIPTORS (26h/08h).</summary>
    public static SenseData TooManySegmentDescriptors() => new(SenseKey.IllegalRequest, 0x26, 0x08);

    /// <summary>ILLEGAL REQUEST, UNSUPPORTED SEGMENT DESCRIPTOR TYPE CODE (26h/09h), pointing at the descriptor.</summary>
    public static SenseData UnsupportedSegmentDescriptorType(int fieldByte) => new(SenseKey.IllegalRequest, 0x26, 0x09, (ushort)fieldByte, InCdb: false);

    /// <summary>COPY ABORTED, UNREACHABLE COPY TARGET (08h/04h): a descriptor names a logical unit this copy cannot reach.</summary>
    public static SenseData UnreachableCopyTarget() => new(SenseKey.CopyAborted, 0x08, 0x04);

    /// <summary>COPY ABORTED with no additional sense code: a segment cannot be processed (its blocks lie beyond the medium).</summary>
    public static SenseData CopyAborted() => new(SenseKey.CopyAborted, 0x00, 0x00);

    /// <summary>NOT READY, LOGICAL UNIT NOT READY, SANITIZE IN PROGRESS (04h/1Bh).</summary>
    public static SenseData SanitizeInProgress() => new(SenseKey.NotReady, 0x04, 0x1B);

    /// <summary>MEDIUM ERROR, SANITIZE COMMAND FAILED (31h/03h): the medium is in failure mode until EXIT FAILURE MODE.</summary>
    public static SenseData SanitizeCommandFailed() => new(SenseKey.MediumError, 0x31, 0x03);
}
