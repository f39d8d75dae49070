using System.Buffers.Binary;
using System.Text;

namespace Targetd.Iscsi.Scsi;

/// <content>INQUIRY with its vital product data pages (SPC-4 §6.6, §7.8; SBC-3 §6.6) and MODE SENSE (SPC-4 §6.11).</content>
internal sealed partial class ScsiLogicalUnit
{
    private static readonly byte[] SupportedVpdPages = [0x00, 0x80, 0x83, 0x8F, 0xB0, 0xB1, 0xB2];

    /// <summary>
    /// Standard INQUIRY data (SPC-4 §6.6.2): 96 bytes with the version descriptors SAM-5, iSCSI, SPC-4 and SBC-3.
    /// </summary>
    /// <param name="peripheral">Byte 0: qualifier and device type (00h for a disk, 7Fh for no logical unit).</param>
    public static byte[] StandardInquiry(byte peripheral)
    {
        var data = new byte[96];
        data[0] = peripheral;
        data[2] = 0x06; // VERSION: SPC-4
        data[3] = 0x12; // HISUP, RESPONSE DATA FORMAT 2
        data[4] = (byte)(data.Length - 5);
        data[5] = 0x08 | TargetPortGroups.ImplicitTpgs; // 3PC: EXTENDED COPY is served here (SPC-4 §6.6.2); TPGS 01b
        data[7] = 0x02; // CMDQUE
        Encoding.ASCII.GetBytes("TARGETD ").CopyTo(data, 8);
        Encoding.ASCII.GetBytes("Targetd.NET LUN ").CopyTo(data, 16);
        Encoding.ASCII.GetBytes("0001").CopyTo(data, 32);
        ReadOnlySpan<ushort> versions = [0x00A0, 0x0960, 0x0460, 0x04C0];
        for (int i = 0; i < versions.Length; i++)
        {
            BinaryPrimitives.WriteUInt16BigEndian(data.AsSpan(58 + (2 * i)), versions[i]);
        }

        return data;
    }

    private ScsiResult Inquiry(ScsiRequest request)
    {
        var cdb = request.Cdb.Span;
        int allocation = BinaryPrimitives.ReadUInt16BigEndian(cdb[3..]);
        bool evpd = (cdb[1] & 0x01) != 0;
        if ((cdb[1] & 0x02) != 0)
        {
            return ScsiResult.Check(Sense.InvalidFieldInCdb(1, 1)); // CMDDT is obsolete
        }

        if (!evpd)
        {
            return cdb[2] != 0
                ? ScsiResult.Check(Sense.InvalidFieldInCdb(2))
                : ScsiResult.Data(StandardInquiry(0x00), allocation, request.DataIn);
        }

        byte[]? page = cdb[2] switch
        {
            0x00 => VpdPage(0x00, SupportedVpdPages),
            0x80 => VpdPage(0x80, Encoding.ASCII.GetBytes(Serial)),
            0x83 => VpdPage(0x83, DeviceIdentification()),
            0x8F => VpdPage(0x8F, ThirdPartyCopy()),
            0xB0 => VpdPage(0xB0, BlockLimits()),
            0xB1 => VpdPage(0xB1, BlockDeviceCharacteristics()),
            0xB2 => VpdPage(0xB2, LogicalBlockProvisioning()),
            _ => null,
        };
        return page is null
            ? ScsiResult.Check(Sense.InvalidFieldInCdb(2))
            : ScsiResult.Data(page, allocation, request.DataIn);
    }

    private static byte[] VpdPage(byte code, ReadOnlySpan<byte> body)
    {
        var page = new byte[4 + body.Length];
        page[1] = code;
        BinaryPrimitives.WriteUInt16BigEndian(page.AsSpan(2), (ushort)body.Length);
        body.CopyTo(page.AsSpan(4));
        return page;
    }

    /// <summary>
    /// Device Identification designators (SPC-4 §7.8.6): NAA 6 (IEEE Registered Extended, §7.8.6.6.5) and T10 vendor
    /// ID, both for the logical unit and both from the device's identity, so every view reports the same; then the
    /// relative target port and target port group of this gateway, the port every command comes through (<see cref="TargetPortGroups"/>).
    /// </summary>
    private byte[] DeviceIdentification()
    {
        var naa = Identity.Naa.Span;
        byte[] t10 = Encoding.ASCII.GetBytes(Identity.T10VendorId);
        var body = new byte[4 + naa.Length + 4 + t10.Length + TargetPortGroups.DesignatorsLength];
        body[0] = 0x01; // code set: binary
        body[1] = 0x03; // association: logical unit; designator type: NAA
        body[3] = (byte)naa.Length;
        naa.CopyTo(body.AsSpan(4));
        int t10At = 4 + naa.Length;
        body[t10At] = 0x02; // code set: ASCII
        body[t10At + 1] = 0x01; // association: logical unit; designator type: T10 vendor ID
        body[t10At + 3] = (byte)t10.Length;
        t10.CopyTo(body, t10At + 4);
        _device.PortGroups.WriteDesignators(body.AsSpan(t10At + 4 + t10.Length));
        return body;
    }

    /// <summary>Block Limits (SBC-3 §6.6.4): page length 3Ch.</summary>
    private byte[] BlockLimits()
    {
        var body = new byte[0x3C];
        body[0] = 0x00; // WSNZ clear: a WRITE SAME of zero blocks runs to the end of the medium
        body[5 - 4] = (byte)CompareAndWriteBlocks; // MAXIMUM COMPARE AND WRITE LENGTH
        BinaryPrimitives.WriteUInt32BigEndian(body.AsSpan(8 - 4), (uint)MaxTransferBlocks);
        BinaryPrimitives.WriteUInt32BigEndian(body.AsSpan(12 - 4), (uint)Math.Max(1, (1024 * 1024) / BlockSize));
        BinaryPrimitives.WriteUInt32BigEndian(body.AsSpan(20 - 4), (uint)MaxTransferBlocks);
        BinaryPrimitives.WriteUInt32BigEndian(body.AsSpan(24 - 4), MaxUnmapDescriptors);
        BinaryPrimitives.WriteUInt32BigEndian(body.AsSpan(28 - 4), 1);
        BinaryPrimitives.WriteUInt64BigEndian(body.AsSpan(36 - 4), (ulong)MaxTransferBlocks);
        BinaryPrimitives.WriteUInt32BigEndian(body.AsSpan(44 - 4), (uint)MaxAtomicTransferBlocks); // MAXIMUM ATOMIC TRANSFER LENGTH
        // ATOMIC ALIGNMENT and ATOMIC TRANSFER LENGTH GRANULARITY stay zero: any LBA, any length.
        return body;
    }

    /// <summary>Block Device Characteristics (SBC-3 §6.6.2): non-rotating medium; reads after a SANITIZE BLOCK ERASE succeed (WABEREQ 01b).</summary>
    private static byte[] BlockDeviceCharacteristics()
    {
        var body = new byte[0x3C];
        BinaryPrimitives.WriteUInt16BigEndian(body, 0x0001); // MEDIUM ROTATION RATE: non-rotating
        body[7 - 4] = 0x40; // WABEREQ 01b
        return body;
    }

    /// <summary>Logical Block Provisioning (SBC-3 §6.6.5): UNMAP and WRITE SAME with UNMAP; reads of unmapped blocks return zeroes.</summary>
    private byte[] LogicalBlockProvisioning()
    {
        var body = new byte[4];
        if (Medium.IsThin)
        {
            body[1] = 0x80 | 0x40 | 0x20 | 0x04; // LBPU, LBPWS, LBPWS10, LBPRZ
            body[2] = 0x02; // provisioning type: thin
        }

        return body;
    }

    private ScsiResult ModeSense(ScsiRequest request)
    {
        var cdb = request.Cdb.Span;
        bool ten = cdb[0] == (byte)ScsiOpcode.ModeSense10;
        bool dbd = (cdb[1] & 0x08) != 0;
        int pageControl = cdb[2] >> 6;
        int pageCode = cdb[2] & 0x3F;
        byte subpage = cdb[3];
        int allocation = ten ? BinaryPrimitives.ReadUInt16BigEndian(cdb[7..]) : cdb[4];
        if (pageControl == 3)
        {
            return ScsiResult.Check(Sense.SavingParametersNotSupported());
        }

        if (subpage != 0 && !(pageCode == 0x3F && subpage == 0xFF))
        {
            return ScsiResult.Check(Sense.InvalidFieldInCdb(3));
        }

        bool changeable = pageControl == 1;
        var pages = new List<byte[]>();
        if (pageCode is 0x08 or 0x3F)
        {
            pages.Add(ModePage(0x08, 0x12, changeable ? (byte)0 : (byte)0x04)); // caching: WCE
        }

        if (pageCode is 0x0A or 0x3F)
        {
            pages.Add(pageControl == 2 ? ModePage(0x0A, 0x0A, 0) : ControlPage(changeable)); // default values: SWP clear
        }

        if (pageCode is 0x1C or 0x3F)
        {
            pages.Add(ModePage(0x1C, 0x0A, 0));
        }

        if (pages.Count == 0)
        {
            return ScsiResult.Check(Sense.InvalidFieldInCdb(2, 5));
        }

        int headerLength = ten ? 8 : 4;
        int descriptorLength = dbd ? 0 : 8;
        var data = new byte[headerLength + descriptorLength + pages.Sum(p => p.Length)];
        byte deviceSpecific = (byte)((IsWriteProtected ? 0x80 : 0) | 0x10); // WP, DPOFUA
        if (ten)
        {
            BinaryPrimitives.WriteUInt16BigEndian(data, (ushort)(data.Length - 2));
            data[3] = deviceSpecific;
            data[7] = (byte)descriptorLength;
        }
        else
        {
            data[0] = (byte)(data.Length - 1);
            data[2] = deviceSpecific;
            data[3] = (byte)descriptorLength;
        }

        if (descriptorLength > 0)
        {
            // Short LBA mode parameter block descriptor (SPC-4 §7.5.5.2).
            var descriptor = data.AsSpan(headerLength, 8);
            uint blocks = BlockCount > 0xFFFFFF ? 0xFFFFFFu : (uint)BlockCount;
            BinaryPrimitives.WriteUInt32BigEndian(descriptor, blocks);
            BinaryPrimitives.WriteUInt32BigEndian(descriptor[4..], (uint)BlockSize);
        }

        int offset = headerLength + descriptorLength;
        foreach (var page in pages)
        {
            page.CopyTo(data, offset);
            offset += page.Length;
        }

        return ScsiResult.Data(data, allocation, request.DataIn);
    }

    private static byte[] ModePage(byte code, byte length, byte byte2)
    {
        var page = new byte[2 + length];
        page[0] = code;
        page[1] = length;
        page[2] = byte2;
        return page;
    }
}
