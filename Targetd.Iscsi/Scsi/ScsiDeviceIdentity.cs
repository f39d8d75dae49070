using System.Globalization;
using System.Text;

namespace Targetd.Iscsi.Scsi;

/// <summary>
/// Who a SCSI device is, the same through every view, portal and gateway that serves it: the unit serial number
/// (VPD page 80h) and the designators of VPD page 83h, all derived from the serial alone.
/// </summary>
/// <remarks>
/// The NAA designator follows Linux LIO's rule (target_core_spc.c), so that a host or a management tool that
/// computes the identifier of a volume the way it does for LIO finds ours: NAA 6 (IEEE Registered Extended,
/// SPC-4 §7.8.6.6.5), the IEEE company id 001405h, then the first 25 hexadecimal digits of the serial (other
/// characters skipped), zero-filled to 16 bytes. A volume whose serial is its uuid thus reports
/// <c>6001405</c> followed by the first 25 hex digits of the uuid.
/// </remarks>
public sealed class ScsiDeviceIdentity : IEquatable<ScsiDeviceIdentity>
{
    /// <summary>The IEEE company id of the NAA designator (the one LIO uses).</summary>
    public const int CompanyId = 0x001405;

    /// <summary>The longest serial accepted: the T10 vendor ID designator (8 bytes of vendor, then the serial) fits its one-byte length.</summary>
    public const int MaxSerialLength = 247;

    private readonly byte[] _naa;

    private ScsiDeviceIdentity(string serial, byte[] naa)
    {
        Serial = serial;
        _naa = naa;
    }

    /// <summary>The unit serial number (VPD page 80h), printable ASCII.</summary>
    public string Serial { get; }

    /// <summary>The 16-byte NAA IEEE Registered Extended designator.</summary>
    public ReadOnlyMemory<byte> Naa => _naa;

    /// <summary>The NAA designator as 32 lowercase hex digits, as <c>/dev/disk/by-id/wwn-0x…</c> shows it.</summary>
    public string NaaHex => Convert.ToHexStringLower(_naa);

    /// <summary>The T10 vendor identification designator's value: vendor "TARGETD " then the serial.</summary>
    public string T10VendorId => "TARGETD " + Serial;

    /// <summary>The identity of a device with this unit serial number.</summary>
    /// <exception cref="ArgumentException">The serial is empty, longer than <see cref="MaxSerialLength"/> or not printable ASCII.</exception>
    public static ScsiDeviceIdentity FromSerial(string serial)
    {
        ArgumentNullException.ThrowIfNull(serial);
        if (serial.Length is 0 or > MaxSerialLength || serial.Any(c => c is < ' ' or > '~'))
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture, $"A unit serial number is 1 to {MaxSerialLength} printable ASCII characters: '{serial}'."),
                nameof(serial));
        }

        return new ScsiDeviceIdentity(serial, NaaOf(serial));
    }

    /// <summary>LIO's NAA 6 designator for a serial: 6h, company id, 25 hex digits of the serial, zero-filled.</summary>
    internal static byte[] NaaOf(string serial)
    {
        var digits = new StringBuilder(32);
        digits.Append('6').Append(CompanyId.ToString("x6", CultureInfo.InvariantCulture));
        foreach (char c in serial)
        {
            if (digits.Length == 32)
            {
                break;
            }

            if (char.IsAsciiHexDigit(c))
            {
                digits.Append(char.ToLowerInvariant(c));
            }
        }

        return Convert.FromHexString(digits.ToString().PadRight(32, '0'));
    }

    /// <inheritdoc />
    public bool Equals(ScsiDeviceIdentity? other) => other is not null && string.Equals(Serial, other.Serial, StringComparison.Ordinal);

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as ScsiDeviceIdentity);

    /// <inheritdoc />
    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(Serial);

    /// <inheritdoc />
    public override string ToString() => $"{Serial} (naa.{NaaHex})";
}
