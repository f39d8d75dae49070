using System.Text;
using Targetd.Iscsi.Wire;
using Targetd.Iscsi.Wire.Pdus;
using static Targetd.Tests.Iscsi.PduBytes;

namespace Targetd.Tests.Iscsi;

/// <summary>
/// The initiator-to-target PDUs byte for byte against the RFC 7143 layouts: written by their writers, read back by
/// their views, and framed by <see cref="PduFramer"/> from a stream cut at every offset as the target reads them.
/// </summary>
public sealed class PduCodecRequestTests
{
    [Test]
    public void Scsi_command_lays_out_section_11_3()
    {
        var bytes = Dirty();
        var writer = new ScsiCommandPduWriter(bytes)
        {
            IsImmediate = true,
            Flags = ScsiCommandFlags.Final | ScsiCommandFlags.Write,
            Attribute = TaskAttribute.Simple,
            DataSegmentLength = 6,
            Lun = 0x0001_0000_0000_0000,
            InitiatorTaskTag = 0x11223344,
            ExpectedDataTransferLength = 0x1000,
            CmdSN = 0x0A0B0C0D,
            ExpStatSN = 0x01020304,
        };
        Hex("2A 00 00 00 00 10 00 00 08 00").CopyTo(writer.Cdb);

        var expected = Hex(
            "41 A1 00 00" + // .|I| 0x01, F|R|W|. .|ATTR (F, W, simple)
            "00 00 00 06" + // TotalAHSLength, DataSegmentLength
            "00 01 00 00 00 00 00 00" + // LUN
            "11 22 33 44" + // Initiator Task Tag
            "00 00 10 00" + // Expected Data Transfer Length
            "0A 0B 0C 0D" + // CmdSN
            "01 02 03 04" + // ExpStatSN
            "2A 00 00 00 00 10 00 00 08 00 00 00 00 00 00 00"); // CDB
        bytes.Should().Equal(expected);

        FrameAtEverySplit(expected, [1, 2, 3, 4, 5, 6], pdu =>
        {
            var view = new ScsiCommandPdu(pdu.HeaderBytes);
            view.IsImmediate.Should().BeTrue();
            view.Flags.Should().Be(ScsiCommandFlags.Final | ScsiCommandFlags.Write);
            view.Attribute.Should().Be(TaskAttribute.Simple);
            view.TotalAhsLength.Should().Be(0);
            view.DataSegmentLength.Should().Be(6);
            view.Lun.Should().Be(0x0001_0000_0000_0000UL);
            view.InitiatorTaskTag.Should().Be(0x11223344u);
            view.ExpectedDataTransferLength.Should().Be(0x1000u);
            view.CmdSN.Should().Be(0x0A0B0C0Du);
            view.ExpStatSN.Should().Be(0x01020304u);
            view.Cdb.ToArray().Should().Equal(expected[32..]);
        });
    }

    [Test]
    public void Task_management_request_lays_out_section_11_5()
    {
        var bytes = Dirty();
        _ = new TaskManagementRequestPduWriter(bytes)
        {
            IsImmediate = true,
            Function = TaskManagementFunction.AbortTask,
            Lun = 0x0002_0000_0000_0000,
            InitiatorTaskTag = 0x101,
            ReferencedTaskTag = 0x42,
            CmdSN = 7,
            ExpStatSN = 3,
            RefCmdSN = 5,
            ExpDataSN = 9,
        };

        var expected = Hex(
            "42 81 00 00" + // .|I| 0x02, 1| Function (ABORT TASK)
            "00 00 00 00" +
            "00 02 00 00 00 00 00 00" + // LUN
            "00 00 01 01" + // Initiator Task Tag
            "00 00 00 42" + // Referenced Task Tag
            "00 00 00 07" + // CmdSN
            "00 00 00 03" + // ExpStatSN
            "00 00 00 05" + // RefCmdSN
            "00 00 00 09" + // ExpDataSN
            "00 00 00 00 00 00 00 00");
        bytes.Should().Equal(expected);

        FrameAtEverySplit(expected, [], pdu =>
        {
            var view = new TaskManagementRequestPdu(pdu.HeaderBytes);
            view.IsImmediate.Should().BeTrue();
            view.Function.Should().Be(TaskManagementFunction.AbortTask);
            view.Lun.Should().Be(0x0002_0000_0000_0000UL);
            view.InitiatorTaskTag.Should().Be(0x101u);
            view.ReferencedTaskTag.Should().Be(0x42u);
            view.CmdSN.Should().Be(7u);
            view.ExpStatSN.Should().Be(3u);
            view.RefCmdSN.Should().Be(5u);
            view.ExpDataSN.Should().Be(9u);
        });
    }

    [Test]
    public void Data_out_lays_out_section_11_7()
    {
        var bytes = Dirty();
        _ = new DataOutPduWriter(bytes)
        {
            IsFinal = true,
            DataSegmentLength = 6,
            Lun = 0x0001_0000_0000_0000,
            InitiatorTaskTag = 0x51,
            TargetTransferTag = 0x777,
            ExpStatSN = 0x10,
            DataSN = 2,
            BufferOffset = 0x2000,
        };

        var expected = Hex(
            "05 80 00 00" + // .|.| 0x05, F
            "00 00 00 06" + // DataSegmentLength
            "00 01 00 00 00 00 00 00" + // LUN
            "00 00 00 51" + // Initiator Task Tag
            "00 00 07 77" + // Target Transfer Tag
            "00 00 00 00" +
            "00 00 00 10" + // ExpStatSN
            "00 00 00 00" +
            "00 00 00 02" + // DataSN
            "00 00 20 00" + // Buffer Offset
            "00 00 00 00");
        bytes.Should().Equal(expected);

        FrameAtEverySplit(expected, [9, 8, 7, 6, 5, 4], pdu =>
        {
            var view = new DataOutPdu(pdu.HeaderBytes);
            view.IsFinal.Should().BeTrue();
            view.DataSegmentLength.Should().Be(6);
            view.Lun.Should().Be(0x0001_0000_0000_0000UL);
            view.InitiatorTaskTag.Should().Be(0x51u);
            view.TargetTransferTag.Should().Be(0x777u);
            view.ExpStatSN.Should().Be(0x10u);
            view.DataSN.Should().Be(2u);
            view.BufferOffset.Should().Be(0x2000u);
        });
    }

    [Test]
    public void Text_request_lays_out_section_11_10()
    {
        byte[] text = Encoding.ASCII.GetBytes("SendTargets=All\0");
        var bytes = Dirty();
        _ = new TextRequestPduWriter(bytes)
        {
            Flags = TextFlags.Final,
            DataSegmentLength = text.Length,
            InitiatorTaskTag = 0x12,
            TargetTransferTag = PduFields.ReservedTag,
            CmdSN = 2,
            ExpStatSN = 1,
        };

        var expected = Hex(
            "04 80 00 00" + // .|I| 0x04, F|C
            "00 00 00 10" + // DataSegmentLength
            "00 00 00 00 00 00 00 00" + // LUN or Reserved
            "00 00 00 12" + // Initiator Task Tag
            "FF FF FF FF" + // Target Transfer Tag: a new request
            "00 00 00 02" + // CmdSN
            "00 00 00 01" + // ExpStatSN
            "00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00");
        bytes.Should().Equal(expected);

        FrameAtEverySplit(expected, text, pdu =>
        {
            var view = new TextRequestPdu(pdu.HeaderBytes);
            view.IsImmediate.Should().BeFalse();
            view.Flags.Should().Be(TextFlags.Final);
            view.DataSegmentLength.Should().Be(16);
            view.Lun.Should().Be(0UL);
            view.InitiatorTaskTag.Should().Be(0x12u);
            view.TargetTransferTag.Should().Be(PduFields.ReservedTag);
            view.CmdSN.Should().Be(2u);
            view.ExpStatSN.Should().Be(1u);
        });
    }

    [Test]
    public void Login_request_lays_out_section_11_12()
    {
        byte[] text = Encoding.ASCII.GetBytes("HeaderDigest=None\0");
        var bytes = Dirty();
        _ = new LoginRequestPduWriter(bytes)
        {
            Flags = LoginFlags.Transit,
            CurrentStage = LoginStage.LoginOperationalNegotiation,
            NextStage = LoginStage.FullFeaturePhase,
            VersionMax = 0x02,
            VersionMin = 0x01,
            DataSegmentLength = text.Length,
            Isid = 0x8000_0001_0001,
            Tsih = 5,
            InitiatorTaskTag = 0x100,
            Cid = 1,
            CmdSN = 1,
            ExpStatSN = 0x20,
        };

        var expected = Hex(
            "43 87 02 01" + // .|1| 0x03, T|C|.|.|CSG|NSG (T, 1, 3), Version-max, Version-min
            "00 00 00 12" + // DataSegmentLength
            "80 00 00 01 00 01" + // ISID
            "00 05" + // TSIH
            "00 00 01 00" + // Initiator Task Tag
            "00 01 00 00" + // CID, Reserved
            "00 00 00 01" + // CmdSN
            "00 00 00 20" + // ExpStatSN
            "00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00");
        bytes.Should().Equal(expected);

        FrameAtEverySplit(expected, text, pdu =>
        {
            var view = new LoginRequestPdu(pdu.HeaderBytes);
            view.Flags.Should().Be(LoginFlags.Transit);
            view.CurrentStage.Should().Be(LoginStage.LoginOperationalNegotiation);
            view.NextStage.Should().Be(LoginStage.FullFeaturePhase);
            view.VersionMax.Should().Be(2);
            view.VersionMin.Should().Be(1);
            view.DataSegmentLength.Should().Be(18);
            view.Isid.Should().Be(0x8000_0001_0001UL);
            view.Tsih.Should().Be(5);
            view.InitiatorTaskTag.Should().Be(0x100u);
            view.Cid.Should().Be(1);
            view.CmdSN.Should().Be(1u);
            view.ExpStatSN.Should().Be(0x20u);
        });
    }

    [Test]
    public void Logout_request_lays_out_section_11_14()
    {
        var bytes = Dirty();
        _ = new LogoutRequestPduWriter(bytes)
        {
            IsImmediate = true,
            Reason = LogoutReason.CloseConnection,
            InitiatorTaskTag = 0x33,
            Cid = 0x0102,
            CmdSN = 9,
            ExpStatSN = 4,
        };

        var expected = Hex(
            "46 81 00 00" + // .|I| 0x06, 1| Reason Code (close the connection)
            "00 00 00 00" +
            "00 00 00 00 00 00 00 00" +
            "00 00 00 33" + // Initiator Task Tag
            "01 02 00 00" + // CID, Reserved
            "00 00 00 09" + // CmdSN
            "00 00 00 04" + // ExpStatSN
            "00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00");
        bytes.Should().Equal(expected);

        FrameAtEverySplit(expected, [], pdu =>
        {
            var view = new LogoutRequestPdu(pdu.HeaderBytes);
            view.IsImmediate.Should().BeTrue();
            view.Reason.Should().Be(LogoutReason.CloseConnection);
            view.InitiatorTaskTag.Should().Be(0x33u);
            view.Cid.Should().Be(0x0102);
            view.CmdSN.Should().Be(9u);
            view.ExpStatSN.Should().Be(4u);
        });
    }

    [Test]
    public void Nop_out_lays_out_section_11_18()
    {
        var bytes = Dirty();
        _ = new NopOutPduWriter(bytes)
        {
            IsImmediate = true,
            DataSegmentLength = 4,
            Lun = 0x0003_0000_0000_0000,
            InitiatorTaskTag = PduFields.ReservedTag,
            TargetTransferTag = 0x99,
            CmdSN = 6,
            ExpStatSN = 8,
        };

        var expected = Hex(
            "40 80 00 00" + // .|I| 0x00, 1
            "00 00 00 04" + // DataSegmentLength
            "00 03 00 00 00 00 00 00" + // LUN
            "FF FF FF FF" + // Initiator Task Tag: no answer wanted
            "00 00 00 99" + // Target Transfer Tag of the ping answered
            "00 00 00 06" + // CmdSN
            "00 00 00 08" + // ExpStatSN
            "00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00");
        bytes.Should().Equal(expected);

        FrameAtEverySplit(expected, [0xCA, 0xFE, 0xBA, 0xBE], pdu =>
        {
            var view = new NopOutPdu(pdu.HeaderBytes);
            view.IsImmediate.Should().BeTrue();
            view.DataSegmentLength.Should().Be(4);
            view.Lun.Should().Be(0x0003_0000_0000_0000UL);
            view.InitiatorTaskTag.Should().Be(PduFields.ReservedTag);
            view.TargetTransferTag.Should().Be(0x99u);
            view.CmdSN.Should().Be(6u);
            view.ExpStatSN.Should().Be(8u);
        });
    }
}
