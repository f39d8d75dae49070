using System.Buffers;

namespace Targetd.Iscsi.Wire;

/// <summary>
/// One received PDU: its Basic Header Segment and data segment, copied out of the pipe into one pooled
/// buffer so the PDU outlives the reader's <c>AdvanceTo</c>. Dispose returns the buffer.
/// </summary>
internal sealed class IscsiPdu : IDisposable
{
    private byte[]? _buffer;

    private IscsiPdu(byte[] buffer, int dataLength, bool dataDigestValid)
    {
        _buffer = buffer;
        DataLength = dataLength;
        DataDigestValid = dataDigestValid;
    }

    /// <summary>The header.</summary>
    public BasicHeaderSegment Header => new(Buffer.AsSpan(0, BasicHeaderSegment.Size));

    /// <summary>The header bytes.</summary>
    public ReadOnlySpan<byte> HeaderBytes => Buffer.AsSpan(0, BasicHeaderSegment.Size);

    /// <summary>The opcode.</summary>
    public IscsiOpcode Opcode => Header.Opcode;

    /// <summary>The data segment without padding.</summary>
    public ReadOnlyMemory<byte> Data => Buffer.AsMemory(BasicHeaderSegment.Size, DataLength);

    /// <summary>The data segment length in bytes.</summary>
    public int DataLength { get; }

    /// <summary>False when a data digest was negotiated and did not match (RFC 7143 §7.8: answered with a Reject).</summary>
    public bool DataDigestValid { get; }

    private byte[] Buffer => _buffer ?? throw new ObjectDisposedException(nameof(IscsiPdu));

    /// <summary>Copies a header and a data segment into a new pooled PDU.</summary>
    public static IscsiPdu Create(ReadOnlySequence<byte> header, ReadOnlySequence<byte> data, bool dataDigestValid)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(BasicHeaderSegment.Size + (int)data.Length);
        header.Slice(0, BasicHeaderSegment.Size).CopyTo(buffer);
        data.CopyTo(buffer.AsSpan(BasicHeaderSegment.Size));
        return new IscsiPdu(buffer, (int)data.Length, dataDigestValid);
    }

    /// <summary>Builds a PDU from spans, for tests and loopback use.</summary>
    public static IscsiPdu Create(ReadOnlySpan<byte> header, ReadOnlySpan<byte> data)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(BasicHeaderSegment.Size + data.Length);
        header[..BasicHeaderSegment.Size].CopyTo(buffer);
        data.CopyTo(buffer.AsSpan(BasicHeaderSegment.Size));
        return new IscsiPdu(buffer, data.Length, dataDigestValid: true);
    }

    public void Dispose()
    {
        var buffer = Interlocked.Exchange(ref _buffer, null);
        if (buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
