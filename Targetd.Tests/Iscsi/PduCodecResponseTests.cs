using Targetd.Iscsi.Scsi;
using Targetd.Iscsi.Server;
using Targetd.Iscsi.Wire;
using Targetd.Iscsi.Wire.Pdus;
using static Targetd.Tests.Iscsi.PduBytes;

namespace Targetd.Tests.Iscsi;

/// <summary>The target-to-initiator PDUs byte for byte against the RFC 7143 layouts: written by their writers, read back by their views.</summary>
public sealed class PduCodecResponseTests
{
    [Test]
    public void Scsi_response_lays_out_section_11_4()
    {
        var bytes = Dirty();
        _ = new ScsiResponsePduWriter(bytes)
        {
            Flags = ScsiResponseFlags.ResidualUnderflow | ScsiResponseFlags.BidirectionalReadResidualOverflow,
            Response = ScsiServiceResponse.CommandCompleted,
            Status = ScsiStatus.CheckCondition,
            DataSegmentLength = 20,
            InitiatorTaskTag = 0x11223344,
            SnackTag = 5,
            StatSN = 0x100,
            ExpCmdSN = 0x101,
            MaxCmdSN = 0x180,
            ExpDataSN = 3,
            BidirectionalReadResidualCount = 0x40,
            ResidualCount = 0x200,
        };

        var expected = Hex(
            "21 92 00 02" + // .|.| 0x21, 1|. .|o|u|O|U|. (o, U), Response, Status (CHECK CONDITION)
            "00 00 00 14" + // DataSegmentLength
            "00 00 00 00 00 00 00 00" +
            "11 22 33 44" + // Initiator Task Tag
            "00 00 00 05" + // SNACK Tag
            "00 00 01 00" + // StatSN
            "00 00 01 01" + // ExpCmdSN
            "00 00 01 80" + // MaxCmdSN
            "00 00 00 03" + // ExpDataSN
            "00 00 00 40" + // Bidirectional Read Residual Count
            "00 00 02 00"); // Residual Count
        bytes.Should().Equal(expected);

        var view = new ScsiResponsePdu(expected);
        view.Flags.Should().Be(ScsiResponseFlags.ResidualUnderflow | ScsiResponseFlags.BidirectionalReadResidualOverflow);
        view.Response.Should().Be(ScsiServiceResponse.CommandCompleted);
        view.Status.Should().Be(ScsiStatus.CheckCondition);
        view.DataSegmentLength.Should().Be(20);
        view.InitiatorTaskTag.Should().Be(0x11223344u);
        view.SnackTag.Should().Be(5u);
        view.StatSN.Should().Be(0x100u);
        view.ExpCmdSN.Should().Be(0x101u);
        view.MaxCmdSN.Should().Be(0x180u);
        view.ExpDataSN.Should().Be(3u);
        view.BidirectionalReadResidualCount.Should().Be(0x40u);
        view.ResidualCount.Should().Be(0x200u);
    }

    [Test]
    public void Task_management_response_lays_out_section_11_6()
    {
        var bytes = Dirty();
        _ = new TaskManagementResponsePduWriter(bytes)
        {
            Response = TaskManagementResponse.TaskDoesNotExist,
            InitiatorTaskTag = 0x101,
            StatSN = 0x10,
            ExpCmdSN = 0x11,
            MaxCmdSN = 0x90,
        };

        var expected = Hex(
            "22 80 01 00" + // .|.| 0x22, 1, Response (Task does not exist)
            "00 00 00 00" +
            "00 00 00 00 00 00 00 00" +
            "00 00 01 01" + // Initiator Task Tag
            "00 00 00 00" +
            "00 00 00 10" + // StatSN
            "00 00 00 11" + // ExpCmdSN
            "00 00 00 90" + // MaxCmdSN
            "00 00 00 00 00 00 00 00 00 00 00 00");
        bytes.Should().Equal(expected);

        var view = new TaskManagementResponsePdu(expected);
        view.Response.Should().Be(TaskManagementResponse.TaskDoesNotExist);
        view.InitiatorTaskTag.Should().Be(0x101u);
        view.StatSN.Should().Be(0x10u);
        view.ExpCmdSN.Should().Be(0x11u);
        view.MaxCmdSN.Should().Be(0x90u);
    }

    [Test]
    public void Data_in_lays_out_section_11_7()
    {
        var bytes = Dirty();
        _ = new DataInPduWriter(bytes)
        {
            Flags = DataInFlags.Final | DataInFlags.Status | DataInFlags.ResidualUnderflow,
            Status = ScsiStatus.Busy,
            DataSegmentLength = 0x200,
            Lun = 0x0001_0000_0000_0000,
            InitiatorTaskTag = 0x77,
            TargetTransferTag = PduFields.ReservedTag,
            StatSN = 0x21,
            ExpCmdSN = 0x22,
            MaxCmdSN = 0xA2,
            DataSN = 4,
            BufferOffset = 0x800,
            ResidualCount = 0x100,
        };

        var expected = Hex(
            "25 83 00 08" + // .|.| 0x25, F|A|0 0 0|O|U|S (F, U, S), Reserved, Status (BUSY)
            "00 00 02 00" + // DataSegmentLength
            "00 01 00 00 00 00 00 00" + // LUN
            "00 00 00 77" + // Initiator Task Tag
            "FF FF FF FF" + // Target Transfer Tag
            "00 00 00 21" + // StatSN
            "00 00 00 22" + // ExpCmdSN
            "00 00 00 A2" + // MaxCmdSN
            "00 00 00 04" + // DataSN
            "00 00 08 00" + // Buffer Offset
            "00 00 01 00"); // Residual Count
        bytes.Should().Equal(expected);

        var view = new DataInPdu(expected);
        view.Flags.Should().Be(DataInFlags.Final | DataInFlags.Status | DataInFlags.ResidualUnderflow);
        view.HasStatus.Should().BeTrue();
        view.Status.Should().Be(ScsiStatus.Busy);
        view.DataSegmentLength.Should().Be(0x200);
        view.Lun.Should().Be(0x0001_0000_0000_0000UL);
        view.InitiatorTaskTag.Should().Be(0x77u);
        view.TargetTransferTag.Should().Be(PduFields.ReservedTag);
        view.StatSN.Should().Be(0x21u);
        view.ExpCmdSN.Should().Be(0x22u);
        view.MaxCmdSN.Should().Be(0xA2u);
        view.DataSN.Should().Be(4u);
        view.BufferOffset.Should().Be(0x800u);
        view.ResidualCount.Should().Be(0x100u);
    }

    [Test]
    public void Ready_to_transfer_lays_out_section_11_8()
    {
        var bytes = Dirty();
        _ = new ReadyToTransferPduWriter(bytes)
        {
            Lun = 0x0001_0000_0000_0000,
            InitiatorTaskTag = 0x51,
            TargetTransferTag = 0x1234,
            StatSN = 0x30,
            ExpCmdSN = 0x31,
            MaxCmdSN = 0xB1,
            R2TSN = 1,
            BufferOffset = 0x10000,
            DesiredDataTransferLength = 0x40000,
        };

        var expected = Hex(
            "31 80 00 00" + // .|.| 0x31, 1
            "00 00 00 00" +
            "00 01 00 00 00 00 00 00" + // LUN
            "00 00 00 51" + // Initiator Task Tag
            "00 00 12 34" + // Target Transfer Tag
            "00 00 00 30" + // StatSN
            "00 00 00 31" + // ExpCmdSN
            "00 00 00 B1" + // MaxCmdSN
            "00 00 00 01" + // R2TSN
            "00 01 00 00" + // Buffer Offset
            "00 04 00 00"); // Desired Data Transfer Length
        bytes.Should().Equal(expected);

        var view = new ReadyToTransferPdu(expected);
        view.Lun.Should().Be(0x0001_0000_0000_0000UL);
        view.InitiatorTaskTag.Should().Be(0x51u);
        view.TargetTransferTag.Should().Be(0x1234u);
        view.StatSN.Should().Be(0x30u);
        view.ExpCmdSN.Should().Be(0x31u);
        view.MaxCmdSN.Should().Be(0xB1u);
        view.R2TSN.Should().Be(1u);
        view.BufferOffset.Should().Be(0x10000u);
        view.DesiredDataTransferLength.Should().Be(0x40000u);
    }

    [Test]
    public void Text_response_lays_out_section_11_11()
    {
        var bytes = Dirty();
        _ = new TextResponsePduWriter(bytes)
        {
            Flags = TextFlags.Continue,
            DataSegmentLength = 0x20,
            InitiatorTaskTag = 0x12,
            TargetTransferTag = 1,
            StatSN = 5,
            ExpCmdSN = 3,
            MaxCmdSN = 0x83,
        };

        var expected = Hex(
            "24 40 00 00" + // .|.| 0x24, F|C (C)
            "00 00 00 20" + // DataSegmentLength
            "00 00 00 00 00 00 00 00" + // LUN or Reserved
            "00 00 00 12" + // Initiator Task Tag
            "00 00 00 01" + // Target Transfer Tag: more to come
            "00 00 00 05" + // StatSN
            "00 00 00 03" + // ExpCmdSN
            "00 00 00 83" + // MaxCmdSN
            "00 00 00 00 00 00 00 00 00 00 00 00");
        bytes.Should().Equal(expected);

        var view = new TextResponsePdu(expected);
        view.Flags.Should().Be(TextFlags.Continue);
        view.DataSegmentLength.Should().Be(0x20);
        view.Lun.Should().Be(0UL);
        view.InitiatorTaskTag.Should().Be(0x12u);
        view.TargetTransferTag.Should().Be(1u);
        view.StatSN.Should().Be(5u);
        view.ExpCmdSN.Should().Be(3u);
        view.MaxCmdSN.Should().Be(0x83u);
    }

    [Test]
    public void Login_response_lays_out_section_11_13()
    {
        var bytes = Dirty();
        _ = new LoginResponsePduWriter(bytes)
        {
            Flags = LoginFlags.Transit,
            CurrentStage = LoginStage.LoginOperationalNegotiation,
            NextStage = LoginStage.FullFeaturePhase,
            VersionMax = 0x01,
            VersionActive = 0x00,
            DataSegmentLength = 0x30,
            Isid = 0x8000_0001_0001,
            Tsih = 7,
            InitiatorTaskTag = 0x100,
            StatSN = 0x4000,
            ExpCmdSN = 1,
            MaxCmdSN = 0x41,
            Status = LoginStatus.AuthenticationFailure,
        };

        var expected = Hex(
            "23 87 01 00" + // .|.| 0x23, T|C|.|.|CSG|NSG (T, 1, 3), Version-max, Version-active
            "00 00 00 30" + // DataSegmentLength
            "80 00 00 01 00 01" + // ISID
            "00 07" + // TSIH
            "00 00 01 00" + // Initiator Task Tag
            "00 00 00 00" +
            "00 00 40 00" + // StatSN
            "00 00 00 01" + // ExpCmdSN
            "00 00 00 41" + // MaxCmdSN
            "02 01 00 00" + // Status-Class, Status-Detail (authentication failure)
            "00 00 00 00 00 00 00 00");
        bytes.Should().Equal(expected);

        var view = new LoginResponsePdu(expected);
        view.Flags.Should().Be(LoginFlags.Transit);
        view.CurrentStage.Should().Be(LoginStage.LoginOperationalNegotiation);
        view.NextStage.Should().Be(LoginStage.FullFeaturePhase);
        view.VersionMax.Should().Be(1);
        view.VersionActive.Should().Be(0);
        view.DataSegmentLength.Should().Be(0x30);
        view.Isid.Should().Be(0x8000_0001_0001UL);
        view.Tsih.Should().Be(7);
        view.InitiatorTaskTag.Should().Be(0x100u);
        view.StatSN.Should().Be(0x4000u);
        view.ExpCmdSN.Should().Be(1u);
        view.MaxCmdSN.Should().Be(0x41u);
        view.Status.Should().Be(LoginStatus.AuthenticationFailure);
    }

    [Test]
    public void Logout_response_lays_out_section_11_15()
    {
        var bytes = Dirty();
        _ = new LogoutResponsePduWriter(bytes)
        {
            Response = LogoutResponse.CidNotFound,
            InitiatorTaskTag = 0x33,
            StatSN = 0x50,
            ExpCmdSN = 0x0A,
            MaxCmdSN = 0x8A,
            Time2Wait = 2,
            Time2Retain = 20,
        };

        var expected = Hex(
            "26 80 01 00" + // .|.| 0x26, 1, Response (CID not found)
            "00 00 00 00" +
            "00 00 00 00 00 00 00 00" +
            "00 00 00 33" + // Initiator Task Tag
            "00 00 00 00" +
            "00 00 00 50" + // StatSN
            "00 00 00 0A" + // ExpCmdSN
            "00 00 00 8A" + // MaxCmdSN
            "00 00 00 00" +
            "00 02 00 14" + // Time2Wait, Time2Retain
            "00 00 00 00");
        bytes.Should().Equal(expected);

        var view = new LogoutResponsePdu(expected);
        view.Response.Should().Be(LogoutResponse.CidNotFound);
        view.InitiatorTaskTag.Should().Be(0x33u);
        view.StatSN.Should().Be(0x50u);
        view.ExpCmdSN.Should().Be(0x0Au);
        view.MaxCmdSN.Should().Be(0x8Au);
        view.Time2Wait.Should().Be(2);
        view.Time2Retain.Should().Be(20);
    }

    [Test]
    public void Reject_lays_out_section_11_17()
    {
        var bytes = Dirty();
        _ = new RejectPduWriter(bytes)
        {
            Reason = RejectReason.InvalidPduField,
            DataSegmentLength = 48,
            StatSN = 0x60,
            ExpCmdSN = 0x61,
            MaxCmdSN = 0xE1,
            DataSNOrR2TSN = 0x0102,
        };

        var expected = Hex(
            "3F 80 09 00" + // .|.| 0x3f, 1, Reason (Invalid PDU field)
            "00 00 00 30" + // DataSegmentLength: the rejected header
            "00 00 00 00 00 00 00 00" +
            "FF FF FF FF" + // 0xffffffff
            "00 00 00 00" +
            "00 00 00 60" + // StatSN
            "00 00 00 61" + // ExpCmdSN
            "00 00 00 E1" + // MaxCmdSN
            "00 00 01 02" + // DataSN/R2TSN
            "00 00 00 00 00 00 00 00");
        bytes.Should().Equal(expected);

        var view = new RejectPdu(expected);
        view.Reason.Should().Be(RejectReason.InvalidPduField);
        view.DataSegmentLength.Should().Be(48);
        view.StatSN.Should().Be(0x60u);
        view.ExpCmdSN.Should().Be(0x61u);
        view.MaxCmdSN.Should().Be(0xE1u);
        view.DataSNOrR2TSN.Should().Be(0x0102u);
    }

    [Test]
    public void Nop_in_lays_out_section_11_19()
    {
        var bytes = Dirty();
        _ = new NopInPduWriter(bytes)
        {
            Lun = 0x0002_0000_0000_0000,
            InitiatorTaskTag = PduFields.ReservedTag,
            TargetTransferTag = 0xABCD,
            StatSN = 0x70,
            ExpCmdSN = 0x71,
            MaxCmdSN = 0xF1,
        };

        var expected = Hex(
            "20 80 00 00" + // .|.| 0x20, 1
            "00 00 00 00" +
            "00 02 00 00 00 00 00 00" + // LUN
            "FF FF FF FF" + // Initiator Task Tag: the target pings
            "00 00 AB CD" + // Target Transfer Tag: answer wanted
            "00 00 00 70" + // StatSN
            "00 00 00 71" + // ExpCmdSN
            "00 00 00 F1" + // MaxCmdSN
            "00 00 00 00 00 00 00 00 00 00 00 00");
        bytes.Should().Equal(expected);

        var view = new NopInPdu(expected);
        view.DataSegmentLength.Should().Be(0);
        view.Lun.Should().Be(0x0002_0000_0000_0000UL);
        view.InitiatorTaskTag.Should().Be(PduFields.ReservedTag);
        view.TargetTransferTag.Should().Be(0xABCDu);
        view.StatSN.Should().Be(0x70u);
        view.ExpCmdSN.Should().Be(0x71u);
        view.MaxCmdSN.Should().Be(0xF1u);
    }
}
