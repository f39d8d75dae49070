using System.Buffers.Binary;

using Targetd.Iscsi.Scsi.Cdbs;

namespace Targetd.Iscsi.Scsi;

/// <summary>MODE SELECT (SPC-4 §6.11, §6.12) and WRITE AND VERIFY (SBC-3 §5.40–§5.42).</summary>
internal sealed partial class ScsiLogicalUnit
{
    /// <summary>
    /// MODE SELECT(6)/(10): the one changeable field is SWP in the Control page (software write protection, shared
    /// by every view of the device; the other initiators get MODE PARAMETERS CHANGED). Any other byte must repeat
    /// the current value; the first that differs is refused (INVALID FIELD IN PARAMETER LIST) and nothing changes.
    /// </summary>
    private ScsiResult ModeSelect(ScsiRequest request)
    {
        var cdb = request.Cdb.Span;
        bool ten = cdb[0] == (byte)ScsiOpcode.ModeSelect10;
        if ((cdb[1] & 0x01) != 0)
        {
            return ScsiResult.Check(Sense.InvalidFieldInCdb(1, 0)); // SP: no saved pages
        }

        int length = ten ? BinaryPrimitives.ReadUInt16BigEndian(cdb[7..]) : cdb[4];
        if (length == 0)
        {
            return ScsiResult.Good();
        }

        var list = request.DataOut.Span;
        int headerLength = ten ? 8 : 4;
        if (list.Length < length || length < headerLength)
        {
            return ScsiResult.Check(Sense.ParameterListLengthError());
        }

        list = list[..length];
        int descriptorLength = ten ? BinaryPrimitives.ReadUInt16BigEndian(list[6..]) : list[3];
        int position = headerLength + descriptorLength;
        if (position > list.Length)
        {
            return ScsiResult.Check(Sense.ParameterListLengthError());
        }

        var current = CurrentModePages();
        bool? softwareWriteProtect = null;
        while (position < list.Length)
        {
            if (position + 2 > list.Length)
            {
                return ScsiResult.Check(Sense.ParameterListLengthError());
            }

            int code = list[position] & 0x3F;
            int pageLength = list[position + 1];
            if ((list[position] & 0x40) != 0 || !current.TryGetValue(code, out var page))
            {
                return ScsiResult.Check(Sense.InvalidFieldInParameterList(position));
            }

            if (position + 2 + pageLength > list.Length || pageLength != page.Length - 2)
            {
                return ScsiResult.Check(Sense.InvalidFieldInParameterList(position + 1));
            }

            var changeable = code == 0x0A ? ControlPage(changeable: true) : null;
            for (int i = 2; i < page.Length; i++)
            {
                if (((list[position + i] ^ page[i]) & ~(changeable?[i] ?? 0)) != 0)
                {
                    return ScsiResult.Check(Sense.InvalidFieldInParameterList(position + i));
                }
            }

            if (code == 0x0A)
            {
                softwareWriteProtect = (list[position + 4] & 0x08) != 0;
            }

            position += 2 + pageLength;
        }

        if (softwareWriteProtect is { } swp && swp != _device.SoftwareWriteProtect)
        {
            _device.SoftwareWriteProtect = swp;
            _reservations.Attentions.Establish(_reservations.AttachedPorts().Where(p => p != request.Port), Sense.ModeParametersChanged());
        }

        return ScsiResult.Good();
    }

    private Dictionary<int, byte[]> CurrentModePages() => new()
    {
        [0x08] = ModePage(0x08, 0x12, 0x04),
        [0x0A] = ControlPage(changeable: false),
        [0x1C] = ModePage(0x1C, 0x0A, 0),
    };

    /// <summary>The Control mode page (SPC-4 §7.5.8): SWP (byte 4, bit 3) is the changeable field.</summary>
    private byte[] ControlPage(bool changeable)
    {
        var page = ModePage(0x0A, 0x0A, 0);
        page[4] = (byte)(changeable || _device.SoftwareWriteProtect ? 0x08 : 0);
        return page;
    }

    /// <summary>WRITE AND VERIFY: the write reaches the medium before status; BYTCHK 01b compares what was written.</summary>
    private async ValueTask<ScsiResult> WriteAndVerifyAsync(ScsiRequest request, CancellationToken cancellationToken)
    {
        var (lba, blocks, flags) = new BlockCommandCdb(request.Cdb.Span);
        int byteCheck = (flags >> 1) & 0x03;
        if (byteCheck is 2 or 3)
        {
            return ScsiResult.Check(Sense.InvalidFieldInCdb(1, 2));
        }

        var written = await WriteAsync(request, cancellationToken).ConfigureAwait(false);
        if (written.Status != ScsiStatus.Good)
        {
            return written;
        }

        await Medium.FlushAsync(cancellationToken).ConfigureAwait(false);
        if (byteCheck == 1)
        {
            long bytes = Math.Min(blocks * BlockSize, request.DataOut.Length / BlockSize * (long)BlockSize);
            var back = new byte[bytes];
            await Medium.ReadAsync(lba * BlockSize, back, cancellationToken).ConfigureAwait(false);
            int differs = back.AsSpan().CommonPrefixLength(request.DataOut.Span[..(int)bytes]);
            if (differs < bytes)
            {
                return ScsiResult.Check(Sense.MiscompareDuringVerify((uint)differs));
            }
        }

        return written;
    }
}
