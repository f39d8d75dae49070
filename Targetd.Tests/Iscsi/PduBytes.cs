using System.Buffers;
using Targetd.Iscsi.Wire;

namespace Targetd.Tests.Iscsi;

/// <summary>Byte helpers of the PDU codec tests: hex literals, and a PDU framed from a stream cut at every offset.</summary>
internal static class PduBytes
{
    /// <summary>Bytes from hex digits; spaces are ignored.</summary>
    public static byte[] Hex(string digits) => Convert.FromHexString(digits.Replace(" ", string.Empty, StringComparison.Ordinal));

    /// <summary>A 48-byte buffer full of <c>0xEE</c>, so a writer that leaves a byte uncleared shows it.</summary>
    public static byte[] Dirty() => Enumerable.Repeat((byte)0xEE, 48).ToArray();

    /// <summary>
    /// Frames <paramref name="header"/> and <paramref name="data"/> (padded to four bytes) with <see cref="PduFramer"/>
    /// from a two-segment sequence cut at every offset, and hands each PDU to <paramref name="check"/>.
    /// </summary>
    public static void FrameAtEverySplit(byte[] header, byte[] data, Action<IscsiPdu> check)
    {
        byte[] wire = [.. header, .. data, .. new byte[((data.Length + 3) & ~3) - data.Length]];
        var framer = new PduFramer();
        for (int split = 1; split < wire.Length; split++)
        {
            var buffer = Split(wire, split);

            framer.TryRead(ref buffer, out var pdu).Should().BeTrue($"the whole PDU is there, cut at {split}");

            using (pdu)
            {
                pdu!.Data.ToArray().Should().Equal(data, $"cut at {split}");
                check(pdu);
            }

            buffer.IsEmpty.Should().BeTrue($"the padding is consumed, cut at {split}");
        }
    }

    private static ReadOnlySequence<byte> Split(byte[] bytes, int at)
    {
        var first = new Segment(bytes.AsMemory(0, at), 0);
        var second = new Segment(bytes.AsMemory(at), at);
        first.SetNext(second);
        return new ReadOnlySequence<byte>(first, 0, second, second.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public void SetNext(Segment next) => Next = next;
    }
}
