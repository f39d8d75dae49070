using Targetd.Iscsi.Wire;
using Targetd.Iscsi.Wire.Pdus;
using static Targetd.Tests.Iscsi.PduBytes;

namespace Targetd.Tests.Iscsi;

/// <summary>What every PDU view and writer shares: the checks on the span, the bounded fields, the bits a setter leaves alone.</summary>
public sealed class PduCodecTests
{
    [Test]
    public void A_view_refuses_a_header_of_another_opcode()
    {
        var bytes = new byte[48];
        _ = new NopOutPduWriter(bytes);

        Action act = () => _ = new ScsiCommandPdu(bytes);

        act.Should().Throw<ArgumentException>().WithMessage("*NopOut*ScsiCommand*");
    }

    [Test]
    public void A_view_and_a_writer_refuse_a_short_span()
    {
        Action read = () => _ = new NopInPdu(new byte[47]);
        Action write = () => _ = new NopInPduWriter(new byte[47]);

        read.Should().Throw<ArgumentException>();
        write.Should().Throw<ArgumentException>();
    }

    [Test]
    public void A_writer_clears_the_header_and_nothing_beyond_it()
    {
        var bytes = Enumerable.Repeat((byte)0xEE, 52).ToArray();

        _ = new TaskManagementResponsePduWriter(bytes);

        bytes[..48].Should().Equal([0x22, 0x80, .. new byte[46]]);
        bytes[48..].Should().OnlyContain(b => b == 0xEE, "the data segment that follows is the caller's");
    }

    [Test]
    public void Data_segment_length_is_24_bits()
    {
        var bytes = new byte[48];
        var writer = new DataInPduWriter(bytes) { DataSegmentLength = 0xFFFFFF };

        writer.DataSegmentLength.Should().Be(0xFFFFFF);
        Action act = () => _ = new DataInPduWriter(bytes) { DataSegmentLength = 1 << 24 };
        act.Should().Throw<ArgumentOutOfRangeException>();
    }

    [Test]
    public void Isid_is_48_bits()
    {
        Action act = () => _ = new LoginRequestPduWriter(new byte[48]) { Isid = 1UL << 48 };

        act.Should().Throw<ArgumentOutOfRangeException>();
    }

    [Test]
    public void Fields_that_share_byte_1_keep_each_other()
    {
        var bytes = new byte[48];
        var command = new ScsiCommandPduWriter(bytes) { Attribute = TaskAttribute.HeadOfQueue, Flags = ScsiCommandFlags.Read | ScsiCommandFlags.Final };
        command.Flags = ScsiCommandFlags.Read;

        bytes[1].Should().Be(0x43);
        new ScsiCommandPdu(bytes).Attribute.Should().Be(TaskAttribute.HeadOfQueue);

        var login = new LoginRequestPduWriter(bytes) { NextStage = LoginStage.FullFeaturePhase, CurrentStage = LoginStage.LoginOperationalNegotiation };
        login.Flags = LoginFlags.Transit | LoginFlags.Continue;

        bytes[1].Should().Be(0xC7);
        login.CurrentStage = LoginStage.SecurityNegotiation;
        new LoginRequestPdu(bytes).NextStage.Should().Be(LoginStage.FullFeaturePhase);
        bytes[1].Should().Be(0xC3);
    }

    [Test]
    public void The_immediate_bit_leaves_the_opcode_alone()
    {
        var bytes = new byte[48];
        var writer = new TextRequestPduWriter(bytes) { IsImmediate = true };

        bytes[0].Should().Be(0x44);
        writer.IsImmediate = false;
        new BasicHeaderSegment(bytes).Opcode.Should().Be(IscsiOpcode.TextRequest);
        bytes[0].Should().Be(0x04);
    }

    [Test]
    public void The_writer_of_a_reject_sets_the_reserved_tag()
    {
        var bytes = Dirty();

        _ = new RejectPduWriter(bytes);

        new BasicHeaderSegment(bytes).InitiatorTaskTag.Should().Be(PduFields.ReservedTag, "§11.17: bytes 16-19 are 0xffffffff");
    }
}
