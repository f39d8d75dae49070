using System.Buffers.Binary;

namespace Targetd.Iscsi.Scsi;

/// <summary>REPORT SUPPORTED OPERATION CODES (SPC-4 §6.35).</summary>
internal static class ScsiSupportedOperationCodes
{
    private const int TimeoutsDescriptorLength = 12;

    public static ScsiResult Report(ScsiRequest request)
    {
        var cdb = request.Cdb.Span;
        bool timeouts = (cdb[2] & 0x80) != 0; // RCTD
        int options = cdb[2] & 0x07;
        byte opcode = cdb[3];
        ushort serviceAction = BinaryPrimitives.ReadUInt16BigEndian(cdb[4..]);
        int allocation = (int)Math.Min(BinaryPrimitives.ReadUInt32BigEndian(cdb[6..]), int.MaxValue);
        var commands = ScsiCommandTable.Commands;
        switch (options)
        {
            case 0:
            {
                int each = 8 + (timeouts ? TimeoutsDescriptorLength : 0);
                var data = new byte[4 + (each * commands.Count)];
                BinaryPrimitives.WriteUInt32BigEndian(data, (uint)(data.Length - 4));
                for (int i = 0; i < commands.Count; i++)
                {
                    var command = commands[i];
                    var descriptor = data.AsSpan(4 + (each * i));
                    descriptor[0] = (byte)command.Opcode;
                    BinaryPrimitives.WriteUInt16BigEndian(descriptor[2..], command.ServiceAction ?? 0);
                    descriptor[5] = (byte)((timeouts ? 0x02 : 0) | (command.ServiceAction is null ? 0 : 0x01)); // CTDP, SERVACTV
                    BinaryPrimitives.WriteUInt16BigEndian(descriptor[6..], (ushort)command.CdbLength);
                    if (timeouts)
                    {
                        BinaryPrimitives.WriteUInt16BigEndian(descriptor[8..], 0x000A);
                    }
                }

                return ScsiResult.Data(data, allocation, request.DataIn);
            }

            case 1 or 2 or 3:
            {
                bool hasActions = ScsiCommandTable.HasServiceActions(opcode);
                if ((options == 1 && hasActions) || (options == 2 && !hasActions))
                {
                    return ScsiResult.Check(Sense.InvalidFieldInCdb(2, 0));
                }

                // Options 001b name an opcode alone; 010b an opcode and service action; 011b either (SPC-4 §6.35.2).
                var found = ScsiCommandTable.Find(opcode, hasActions ? (byte)serviceAction : (byte)0);
                if (found is not null && hasActions && found.ServiceAction != serviceAction)
                {
                    found = null;
                }

                int cdbLength = found?.CdbLength ?? 0;
                var data = new byte[4 + cdbLength + (timeouts && found is not null ? TimeoutsDescriptorLength : 0)];
                data[1] = (byte)((timeouts && found is not null ? 0x80 : 0) | (found is not null ? 0x03 : 0x01)); // SUPPORT: 011b or 001b
                BinaryPrimitives.WriteUInt16BigEndian(data.AsSpan(2), (ushort)cdbLength);
                if (found is not null)
                {
                    // CDB USAGE DATA (SPC-4 §6.35.3): the opcode, then the bits the device server evaluates.
                    found.Usage.CopyTo(data.AsSpan(4));
                    if (timeouts)
                    {
                        BinaryPrimitives.WriteUInt16BigEndian(data.AsSpan(4 + cdbLength), 0x000A);
                    }
                }

                return ScsiResult.Data(data, allocation, request.DataIn);
            }

            default:
                return ScsiResult.Check(Sense.InvalidFieldInCdb(2, 2));
        }
    }
}
