using System.Buffers;
using Targetd.Iscsi.Wire;
using Targetd.Iscsi.Wire.Pdus;

namespace Targetd.Tests.Iscsi;

public sealed class PduFramerTests
{
    [Test]
    public void A_whole_pdu_is_cut_off_with_its_padding()
    {
        var bytes = Pdu(IscsiOpcode.NopOut, [1, 2, 3, 4, 5]);
        var buffer = new ReadOnlySequence<byte>([.. bytes, .. Pdu(IscsiOpcode.NopOut, [])]);

        new PduFramer().TryRead(ref buffer, out var pdu).Should().BeTrue();

        using (pdu)
        {
            pdu!.Opcode.Should().Be(IscsiOpcode.NopOut);
            pdu.Data.ToArray().Should().Equal(1, 2, 3, 4, 5);
            pdu.HeaderBytes.ToArray().Should().Equal(bytes[..48]);
        }

        buffer.Length.Should().Be(48, "the padding (3 bytes) was consumed and the next PDU remains");
    }

    [Test]
    public void Every_prefix_of_a_pdu_needs_more_data_and_consumes_nothing()
    {
        var bytes = Pdu(IscsiOpcode.ScsiCommand, Enumerable.Range(0, 10).Select(i => (byte)i).ToArray());
        var framer = new PduFramer();
        for (int length = 0; length < bytes.Length; length++)
        {
            var buffer = new ReadOnlySequence<byte>(bytes, 0, length);

            framer.TryRead(ref buffer, out var pdu).Should().BeFalse($"{length} bytes are not a PDU");

            pdu.Should().BeNull();
            buffer.Length.Should().Be(length);
        }
    }

    [Test]
    public void A_pdu_split_across_segments_at_every_point_reads_the_same()
    {
        var data = Enumerable.Range(0, 21).Select(i => (byte)(i * 3)).ToArray();
        var bytes = Pdu(IscsiOpcode.DataOut, data, ahsWords: 1);
        var framer = new PduFramer { HeaderDigest = true, DataDigest = true };
        bytes = WithDigests(bytes, ahsBytes: 4, data.Length);
        for (int split = 1; split < bytes.Length; split++)
        {
            var buffer = Segmented(bytes, split, Math.Min(bytes.Length - 1, split + 17));

            framer.TryRead(ref buffer, out var pdu).Should().BeTrue($"split at {split}");

            using (pdu)
            {
                pdu!.Data.ToArray().Should().Equal(data);
                pdu.DataDigestValid.Should().BeTrue();
            }

            buffer.IsEmpty.Should().BeTrue();
        }
    }

    [Test]
    public void A_data_segment_above_the_limit_is_refused_before_it_arrives()
    {
        var header = Pdu(IscsiOpcode.ScsiCommand, [])[..48];
        PduFields.SetDataSegmentLength(header, 8193);
        var buffer = new ReadOnlySequence<byte>(header);
        var framer = new PduFramer { MaxDataSegmentLength = 8192 };

        var act = () => framer.TryRead(ref buffer, out _);

        act.Should().Throw<IscsiProtocolException>().WithMessage("*8193*");
    }

    [Test]
    public void A_wrong_header_digest_is_a_protocol_error()
    {
        var bytes = WithDigests(Pdu(IscsiOpcode.NopOut, []), 0, 0);
        bytes[48] ^= 0xFF;
        var buffer = new ReadOnlySequence<byte>(bytes);

        var act = () => new PduFramer { HeaderDigest = true, DataDigest = true }.TryRead(ref buffer, out _);

        act.Should().Throw<IscsiProtocolException>().WithMessage("*digest*");
    }

    [Test]
    public void A_wrong_data_digest_is_flagged_on_the_pdu()
    {
        var bytes = WithDigests(Pdu(IscsiOpcode.NopOut, [9, 9, 9, 9]), 0, 4);
        bytes[^1] ^= 0xFF;
        var buffer = new ReadOnlySequence<byte>(bytes);

        new PduFramer { HeaderDigest = true, DataDigest = true }.TryRead(ref buffer, out var pdu).Should().BeTrue();

        using (pdu)
        {
            pdu!.DataDigestValid.Should().BeFalse();
        }
    }

    private static byte[] Pdu(IscsiOpcode opcode, byte[] data, int ahsWords = 0)
    {
        var header = new byte[48];
        _ = PduFields.Begin(header, opcode, 0x80);
        PduFields.SetDataSegmentLength(header, data.Length);
        PduFields.SetUInt32(header, PduFields.InitiatorTaskTagAt, 0x1234);
        PduFields.SetTotalAhsLength(header, ahsWords);
        var padded = new byte[(data.Length + 3) & ~3];
        data.CopyTo(padded, 0);
        return [.. header, .. new byte[ahsWords * 4], .. padded];
    }

    private static byte[] WithDigests(byte[] pdu, int ahsBytes, int dataLength)
    {
        int headerLength = 48 + ahsBytes;
        var result = new List<byte>(pdu[..headerLength]);
        result.AddRange(BitConverter.GetBytes(Crc32C.Compute(pdu.AsSpan(0, headerLength))));
        var padded = pdu[headerLength..];
        result.AddRange(padded);
        if (dataLength > 0)
        {
            result.AddRange(BitConverter.GetBytes(Crc32C.Compute(padded)));
        }

        return [.. result];
    }

    private static ReadOnlySequence<byte> Segmented(byte[] bytes, int first, int second)
    {
        var a = new Segment(bytes.AsMemory(0, first), 0);
        var b = a.Append(bytes.AsMemory(first, second - first));
        var c = b.Append(bytes.AsMemory(second));
        return new ReadOnlySequence<byte>(a, 0, c, c.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
