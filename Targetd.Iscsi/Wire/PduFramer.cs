using System.Buffers;
using System.Buffers.Binary;

namespace Targetd.Iscsi.Wire;

/// <summary>
/// Cuts PDUs out of a byte stream (RFC 7143 §11.2: BHS, optional AHS, optional header digest, data segment
/// padded to a multiple of 4, optional data digest). Pure: it never consumes on "need more data".
/// </summary>
internal sealed class PduFramer
{
    private const int DigestLength = 4;

    /// <summary>The largest data segment accepted: our declared MaxRecvDataSegmentLength (RFC 7143 §13.12).</summary>
    public int MaxDataSegmentLength { get; set; } = 8192;

    /// <summary>Whether a CRC32C header digest follows the header segments.</summary>
    public bool HeaderDigest { get; set; }

    /// <summary>Whether a CRC32C data digest follows a non-empty data segment.</summary>
    public bool DataDigest { get; set; }

    /// <summary>
    /// Reads one PDU from the start of <paramref name="buffer"/>. Returns false, consuming nothing, when the buffer
    /// holds less than a whole PDU; otherwise slices the PDU off <paramref name="buffer"/>.
    /// </summary>
    /// <exception cref="IscsiProtocolException">The PDU is malformed, oversized or its header digest is wrong.</exception>
    public bool TryRead(ref ReadOnlySequence<byte> buffer, out IscsiPdu? pdu)
    {
        pdu = null;
        if (buffer.Length < BasicHeaderSegment.Size)
        {
            return false;
        }

        Span<byte> bhsBytes = stackalloc byte[BasicHeaderSegment.Size];
        buffer.Slice(0, BasicHeaderSegment.Size).CopyTo(bhsBytes);
        var bhs = new BasicHeaderSegment(bhsBytes);
        int ahsLength = bhs.TotalAhsLengthWords * 4;
        int dataLength = bhs.DataSegmentLength;

        // RFC 7143 §13.12: "MaxRecvDataSegmentLength ... declares the maximum data segment length in bytes it can
        // receive in an iSCSI PDU"; a longer segment cannot be buffered and ends the connection.
        if (dataLength > MaxDataSegmentLength)
        {
            throw new IscsiProtocolException($"DataSegmentLength {dataLength} exceeds MaxRecvDataSegmentLength {MaxDataSegmentLength}.");
        }

        int headerLength = BasicHeaderSegment.Size + ahsLength;
        int headerDigestLength = HeaderDigest ? DigestLength : 0;
        int paddedData = (dataLength + 3) & ~3;
        int dataDigestLength = DataDigest && dataLength > 0 ? DigestLength : 0;
        long total = (long)headerLength + headerDigestLength + paddedData + dataDigestLength;
        if (buffer.Length < total)
        {
            return false;
        }

        var header = buffer.Slice(0, headerLength);
        if (HeaderDigest)
        {
            uint expected = ReadDigest(buffer.Slice(headerLength, DigestLength));
            if (ComputeDigest(header) != expected)
            {
                // RFC 7143 §7.8: a header digest error leaves the PDU boundaries in doubt; at ErrorRecoveryLevel 0
                // the connection is dropped.
                throw new IscsiProtocolException("Header digest mismatch.");
            }
        }

        long dataStart = headerLength + headerDigestLength;
        var data = buffer.Slice(dataStart, dataLength);
        bool dataValid = true;
        if (dataDigestLength > 0)
        {
            uint expected = ReadDigest(buffer.Slice(dataStart + paddedData, DigestLength));
            dataValid = ComputeDigest(buffer.Slice(dataStart, paddedData)) == expected;
        }

        pdu = IscsiPdu.Create(header, data, dataValid);
        buffer = buffer.Slice(total);
        return true;
    }

    /// <summary>The CRC32C of a (possibly multi-segment) sequence.</summary>
    public static uint ComputeDigest(ReadOnlySequence<byte> bytes)
    {
        uint crc = 0xFFFFFFFF;
        foreach (var segment in bytes)
        {
            crc = Crc32C.Append(crc, segment.Span);
        }

        return ~crc;
    }

    private static uint ReadDigest(ReadOnlySequence<byte> bytes)
    {
        Span<byte> digest = stackalloc byte[DigestLength];
        bytes.CopyTo(digest);
        return BinaryPrimitives.ReadUInt32LittleEndian(digest);
    }
}
