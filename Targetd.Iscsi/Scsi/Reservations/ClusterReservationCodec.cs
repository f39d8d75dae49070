using System.Text;

namespace Targetd.Iscsi.Scsi.Reservations;

/// <summary>
/// The compact binary form <see cref="ClusterReservations"/> take in the cluster: a format byte, flags, the
/// generation, the reservation, the RESERVE holder, the registrations and the events, strings length-prefixed.
/// </summary>
internal static class ClusterReservationCodec
{
    private const byte Format = 1;

    public static byte[] Encode(ClusterReservations reservations)
    {
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true))
        {
            var state = reservations.State;
            writer.Write(Format);
            writer.Write((byte)((state.PersistThroughPowerLoss ? 1 : 0) | (state.Type is null ? 0 : 2) | (reservations.LegacyGateway is null ? 0 : 4)));
            writer.Write(state.Generation);
            if (state.Type is { } type)
            {
                writer.Write((byte)type);
                writer.Write(state.Holder ?? string.Empty);
            }

            if (reservations.LegacyGateway is { } gateway)
            {
                writer.Write(gateway);
                writer.Write(reservations.LegacyNexus);
            }

            writer.Write7BitEncodedInt(state.Registrations.Count);
            foreach (var (port, key) in state.Registrations)
            {
                writer.Write(port);
                writer.Write(key);
            }

            writer.Write7BitEncodedInt(reservations.Events.Count);
            foreach (var each in reservations.Events)
            {
                writer.Write(each.Id);
                writer.Write(each.Origin);
                writer.Write(each.Abort);
                writer.Write((byte)each.Sense.Key);
                writer.Write(each.Sense.Asc);
                writer.Write(each.Sense.Ascq);
                writer.Write7BitEncodedInt(each.Ports.Count);
                foreach (string port in each.Ports)
                {
                    writer.Write(port);
                }
            }
        }

        return stream.ToArray();
    }

    /// <summary>Reads the state back; empty content is a logical unit nobody has reserved.</summary>
    /// <exception cref="InvalidDataException">The content is not in this format.</exception>
    public static ClusterReservations Decode(ReadOnlyMemory<byte> content)
    {
        if (content.IsEmpty)
        {
            return ClusterReservations.Empty;
        }

        try
        {
            using var reader = new BinaryReader(new MemoryStream(content.ToArray()), Encoding.UTF8);
            if (reader.ReadByte() != Format)
            {
                throw new InvalidDataException("Unknown reservation state format.");
            }

            byte flags = reader.ReadByte();
            uint generation = reader.ReadUInt32();
            PersistentReservationType? type = null;
            string? holder = null;
            if ((flags & 2) != 0)
            {
                type = (PersistentReservationType)reader.ReadByte();
                holder = reader.ReadString() is { Length: > 0 } named ? named : null;
            }

            string? gateway = null;
            ulong nexus = 0;
            if ((flags & 4) != 0)
            {
                gateway = reader.ReadString();
                nexus = reader.ReadUInt64();
            }

            var registrations = new (string, ulong)[reader.Read7BitEncodedInt()];
            for (int i = 0; i < registrations.Length; i++)
            {
                registrations[i] = (reader.ReadString(), reader.ReadUInt64());
            }

            var events = new ReservationEvent[reader.Read7BitEncodedInt()];
            for (int i = 0; i < events.Length; i++)
            {
                long id = reader.ReadInt64();
                string origin = reader.ReadString();
                bool abort = reader.ReadBoolean();
                var sense = new SenseData((SenseKey)reader.ReadByte(), reader.ReadByte(), reader.ReadByte());
                var ports = new string[reader.Read7BitEncodedInt()];
                for (int p = 0; p < ports.Length; p++)
                {
                    ports[p] = reader.ReadString();
                }

                events[i] = new ReservationEvent(id, origin, abort, sense, ports);
            }

            var state = new ReservationFile.Snapshot(0, (flags & 1) != 0, generation, type, holder, registrations);
            return new ClusterReservations(state, gateway, nexus, events);
        }
        catch (EndOfStreamException ex)
        {
            throw new InvalidDataException("Truncated reservation state.", ex);
        }
    }
}
