using System.Buffers.Binary;

namespace Targetd.Iscsi.Scsi;

/// <summary>
/// Routes a command to a logical unit of a SCSI target device, and answers the commands the target itself
/// serves: REPORT LUNS for any LUN (SPC-4 §6.33), and for an unmapped LUN INQUIRY with peripheral
/// qualifier 011b and REQUEST SENSE (SPC-4 §4.2.5.1); anything else there ends in LOGICAL UNIT NOT SUPPORTED.
/// </summary>
internal static class ScsiDispatcher
{
    public static ValueTask<ScsiResult> ExecuteAsync(
        IReadOnlyDictionary<int, ScsiLogicalUnit> units, int lun, ScsiRequest request, CancellationToken cancellationToken)
    {
        var cdb = request.Cdb.Span;
        if (!cdb.IsEmpty && cdb[0] == (byte)ScsiOpcode.ReportLuns)
        {
            return ValueTask.FromResult(ReportLuns(units.Keys, request));
        }

        if (units.TryGetValue(lun, out var unit))
        {
            return unit.ExecuteAsync(request with { VisibleUnits = units }, cancellationToken);
        }

        var result = cdb.IsEmpty ? ScsiResult.Check(Sense.InvalidOpcode()) : (ScsiOpcode)cdb[0] switch
        {
            ScsiOpcode.Inquiry when (cdb[1] & 0x01) == 0 =>
                ScsiResult.Data(ScsiLogicalUnit.StandardInquiry(0x7F), BinaryPrimitives.ReadUInt16BigEndian(cdb[3..]), request.DataIn),
            ScsiOpcode.RequestSense => ScsiResult.Data(Sense.LogicalUnitNotSupported().ToArray(), cdb[4], request.DataIn),
            _ => ScsiResult.Check(Sense.LogicalUnitNotSupported()),
        };
        return ValueTask.FromResult(result);
    }

    /// <summary>Encodes a LUN number in the 8-byte SAM-5 format: peripheral addressing below 256, flat space up to 16383.</summary>
    public static ulong EncodeLun(int lun) => lun < 256
        ? (ulong)lun << 48
        : ((ulong)(0x4000 | (lun & 0x3FFF))) << 48;

    /// <summary>Decodes the first level of an 8-byte LUN (SAM-5 §4.7), or -1 when it is not one we address.</summary>
    public static int DecodeLun(ulong lun)
    {
        int first = (int)(lun >> 48);
        if ((lun & 0x0000FFFFFFFFFFFFUL) != 0)
        {
            return -1;
        }

        return (first >> 14) switch
        {
            0 when (first >> 8) == 0 => first & 0xFF,
            1 => first & 0x3FFF,
            _ => -1,
        };
    }

    internal static ScsiResult ReportLuns(IEnumerable<int> luns, ScsiRequest request)
    {
        var cdb = request.Cdb.Span;
        int allocation = (int)Math.Min(BinaryPrimitives.ReadUInt32BigEndian(cdb[6..]), int.MaxValue);
        if (allocation < 16)
        {
            return ScsiResult.Check(Sense.InvalidFieldInCdb(6));
        }

        if (cdb[2] > 0x02)
        {
            return ScsiResult.Check(Sense.InvalidFieldInCdb(2)); // SELECT REPORT
        }

        var sorted = luns.Order().ToArray();
        var data = new byte[8 + (8 * sorted.Length)];
        BinaryPrimitives.WriteUInt32BigEndian(data, (uint)(8 * sorted.Length));
        for (int i = 0; i < sorted.Length; i++)
        {
            BinaryPrimitives.WriteUInt64BigEndian(data.AsSpan(8 + (8 * i)), EncodeLun(sorted[i]));
        }

        return ScsiResult.Data(data, allocation, request.DataIn);
    }
}
