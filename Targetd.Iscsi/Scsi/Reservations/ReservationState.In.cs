using System.Buffers.Binary;
using System.Text;

namespace Targetd.Iscsi.Scsi.Reservations;

/// <summary>PERSISTENT RESERVE IN (SPC-4 §6.14): what the registrations and the reservation look like.</summary>
internal sealed partial class ReservationState
{
    /// <summary>The relative target port identifier every I_T nexus of a target goes through (one target port group).</summary>
    public const ushort RelativeTargetPort = 1;

    /// <summary>READ KEYS (SPC-4 §6.14.2): the generation, then each registered key.</summary>
    public byte[] ReadKeys()
    {
        lock (_gate)
        {
            var keys = _registrations.Values.OrderBy(r => r.Order).ToArray();
            var data = new byte[8 + (8 * keys.Length)];
            BinaryPrimitives.WriteUInt32BigEndian(data, _generation);
            BinaryPrimitives.WriteUInt32BigEndian(data.AsSpan(4), (uint)(8 * keys.Length));
            for (int i = 0; i < keys.Length; i++)
            {
                BinaryPrimitives.WriteUInt64BigEndian(data.AsSpan(8 + (8 * i)), keys[i].Key);
            }

            return data;
        }
    }

    /// <summary>READ RESERVATION (SPC-4 §6.14.3): the holder's key (zero for all-registrants types), scope and type.</summary>
    public byte[] ReadReservation()
    {
        lock (_gate)
        {
            if (_type is not { } type)
            {
                var none = new byte[8];
                BinaryPrimitives.WriteUInt32BigEndian(none, _generation);
                return none;
            }

            var data = new byte[24];
            BinaryPrimitives.WriteUInt32BigEndian(data, _generation);
            BinaryPrimitives.WriteUInt32BigEndian(data.AsSpan(4), 16);
            ulong key = !IsAllRegistrants(type) && _holder is { } holder && _registrations.TryGetValue(holder, out var r) ? r.Key : 0;
            BinaryPrimitives.WriteUInt64BigEndian(data.AsSpan(8), key);
            data[21] = (byte)type; // SCOPE 0h (LU_SCOPE) in bits 7-4
            return data;
        }
    }

    /// <summary>
    /// REPORT CAPABILITIES (SPC-4 §6.14.4, table 167): ALL_TG_PT accepted (a target has one target port), no
    /// SPEC_I_PT, APTPL where a file can keep the state; every reservation type supported; TEST UNIT READY allowed
    /// under every type.
    /// </summary>
    public byte[] ReportCapabilities()
    {
        var data = new byte[8];
        BinaryPrimitives.WriteUInt16BigEndian(data, 8);
        data[2] = (byte)(0x04 | (PersistenceOffered ? 0x01 : 0)); // ATP_C, PTPL_C
        lock (_gate)
        {
            data[3] = (byte)(0x80 | 0x10 | (_persistThroughPowerLoss ? 0x01 : 0)); // TMV, ALLOW COMMANDS 001b, PTPL_A
        }

        data[4] = 0x80 | 0x40 | 0x20 | 0x08 | 0x02; // WR_EX_AR, EX_AC_RO, WR_EX_RO, EX_AC, WR_EX
        data[5] = 0x01;        // EX_AC_AR
        return data;
    }

    /// <summary>READ FULL STATUS (SPC-4 §6.14.5): a descriptor per registration with the initiator's TransportID.</summary>
    public byte[] ReadFullStatus()
    {
        lock (_gate)
        {
            var registrations = _registrations.OrderBy(r => r.Value.Order).ToArray();
            var descriptors = registrations.Select(r => FullStatusDescriptor(r.Key, r.Value.Key)).ToArray();
            var data = new byte[8 + descriptors.Sum(d => d.Length)];
            BinaryPrimitives.WriteUInt32BigEndian(data, _generation);
            BinaryPrimitives.WriteUInt32BigEndian(data.AsSpan(4), (uint)(data.Length - 8));
            int offset = 8;
            foreach (var descriptor in descriptors)
            {
                descriptor.CopyTo(data, offset);
                offset += descriptor.Length;
            }

            return data;
        }
    }

    /// <summary>
    /// An iSCSI initiator port TransportID (SPC-4 §7.5.4.6, table 508): FORMAT CODE 01b, PROTOCOL IDENTIFIER 5h, then
    /// the null-terminated "name,i,0x" + ISID padded to a multiple of four bytes.
    /// </summary>
    public static byte[] TransportId(string port)
    {
        int nameLength = Encoding.UTF8.GetByteCount(port) + 1;
        int padded = (nameLength + 3) & ~3;
        var id = new byte[4 + padded];
        id[0] = 0x40 | 0x05;
        BinaryPrimitives.WriteUInt16BigEndian(id.AsSpan(2), (ushort)padded);
        Encoding.UTF8.GetBytes(port, id.AsSpan(4));
        return id;
    }

    private byte[] FullStatusDescriptor(string port, ulong key)
    {
        var transportId = TransportId(port);
        var descriptor = new byte[24 + transportId.Length];
        BinaryPrimitives.WriteUInt64BigEndian(descriptor, key);
        if (IsHolder(port))
        {
            descriptor[12] = 0x01; // R_HOLDER
            descriptor[13] = (byte)_type!.Value;
        }

        descriptor[12] |= 0x02; // ALL_TG_PT: one target port serves every nexus
        BinaryPrimitives.WriteUInt16BigEndian(descriptor.AsSpan(18), RelativeTargetPort);
        BinaryPrimitives.WriteUInt32BigEndian(descriptor.AsSpan(20), (uint)transportId.Length);
        transportId.CopyTo(descriptor, 24);
        return descriptor;
    }
}
