using System.Buffers.Binary;

namespace Targetd.Iscsi.Scsi;

/// <content>READ DEFECT DATA(10) and (12) (SBC-3 §5.12, §5.13): a virtual medium has no defects to list.</content>
internal sealed partial class ScsiLogicalUnit
{
    private static ScsiResult ReadDefectData(ScsiRequest request)
    {
        var cdb = request.Cdb.Span;
        bool twelve = cdb[0] == (byte)ScsiOpcode.ReadDefectData12;

        // The header echoes REQ_PLIST, REQ_GLIST and the DEFECT LIST FORMAT asked for (byte 2 of the 10-byte CDB,
        // byte 1 of the 12-byte one); the DEFECT LIST LENGTH that follows it is zero.
        byte requested = twelve ? cdb[1] : cdb[2];
        var header = new byte[twelve ? 8 : 4];
        header[1] = (byte)(requested & 0x1F);
        int allocation = twelve
            ? (int)Math.Min(BinaryPrimitives.ReadUInt32BigEndian(cdb[6..]), int.MaxValue)
            : BinaryPrimitives.ReadUInt16BigEndian(cdb[7..]);
        return ScsiResult.Data(header, allocation, request.DataIn);
    }
}
