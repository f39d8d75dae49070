using System.Buffers.Binary;

namespace Targetd.Iscsi.Scsi;

/// <summary>
/// Fixed-format sense data (SPC-4 §4.5.3, response code 70h). Built by the factories on <see cref="Sense"/>.
/// </summary>
/// <param name="Key">The sense key.</param>
/// <param name="Asc">The additional sense code.</param>
/// <param name="Ascq">The additional sense code qualifier.</param>
/// <param name="FieldPointer">The sense-key-specific field pointer: the byte in error, when known.</param>
/// <param name="InCdb">For a field pointer: the C/D bit, true for the CDB, false for the parameter list.</param>
/// <param name="BitPointer">For a field pointer: the bit in error, when known.</param>
/// <param name="Information">The INFORMATION field (for instance the first miscomparing offset), when valid.</param>
internal readonly record struct SenseData(
    SenseKey Key,
    byte Asc,
    byte Ascq,
    ushort? FieldPointer = null,
    bool InCdb = true,
    byte? BitPointer = null,
    uint? Information = null)
{
    /// <summary>The length of fixed-format sense data with an additional sense length of 10.</summary>
    public const int Length = 18;

    /// <summary>Writes the 18 bytes of sense data.</summary>
    public void WriteTo(Span<byte> destination)
    {
        destination = destination[..Length];
        destination.Clear();
        destination[0] = (byte)(0x70 | (Information is null ? 0 : 0x80));
        destination[2] = (byte)Key;
        if (Information is { } information)
        {
            BinaryPrimitives.WriteUInt32BigEndian(destination[3..], information);
        }

        destination[7] = Length - 8;
        destination[12] = Asc;
        destination[13] = Ascq;
        if (FieldPointer is { } field)
        {
            // SPC-4 §4.5.2.4.2: SKSV, C/D, BPV and BIT POINTER in byte 15, FIELD POINTER in bytes 16-17.
            destination[15] = (byte)(0x80 | (InCdb ? 0x40 : 0) | (BitPointer is { } bit ? 0x08 | (bit & 0x07) : 0));
            BinaryPrimitives.WriteUInt16BigEndian(destination[16..], field);
        }
    }

    /// <summary>The 18 bytes as a new array.</summary>
    public byte[] ToArray()
    {
        var bytes = new byte[Length];
        WriteTo(bytes);
        return bytes;
    }
}
