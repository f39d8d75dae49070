using System.Buffers;
using Targetd.Iscsi.Wire;

namespace Targetd.Fuzz;

/// <summary>
/// The iSCSI PDU framer over arbitrary bytes: the first byte picks the digests, the rest is cut into PDUs, whole or
/// split in two segments, until it needs more data or refuses the stream (<see cref="IscsiProtocolException"/>).
/// </summary>
internal static class FramerHarness
{
    public static void Run(Stream stream)
    {
        byte[] input = FuzzInput.ReadAll(stream);
        if (input.Length == 0)
        {
            return;
        }

        var framer = new PduFramer
        {
            HeaderDigest = (input[0] & 1) != 0,
            DataDigest = (input[0] & 2) != 0,
            MaxDataSegmentLength = (input[0] & 4) != 0 ? 512 : 8192,
        };
        var bytes = input.AsMemory(1);
        int split = bytes.Length == 0 ? 0 : input[0] % bytes.Length;
        var buffer = (input[0] & 8) != 0 ? TwoSegments(bytes, split) : new ReadOnlySequence<byte>(bytes);
        try
        {
            long before = buffer.Length;
            while (framer.TryRead(ref buffer, out var pdu))
            {
                using (pdu)
                {
                    _ = pdu!.Header.Opcode;
                    _ = pdu.Data.Span.Length;
                }

                if (buffer.Length >= before)
                {
                    throw new InvalidOperationException("the framer returned a PDU without consuming bytes");
                }

                before = buffer.Length;
            }
        }
        catch (IscsiProtocolException)
        {
            // a refused stream: the connection would be dropped
        }
    }

    private static ReadOnlySequence<byte> TwoSegments(ReadOnlyMemory<byte> bytes, int split)
    {
        var first = new Segment(bytes[..split], 0);
        var second = first.Append(bytes[split..]);
        return new ReadOnlySequence<byte>(first, 0, second, second.Memory.Length);
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
