namespace Targetd.Iscsi.Server;

/// <summary>One PDU of a gathered sequence: its header (from the pool, given back once sent), its data and its numbering.</summary>
internal readonly record struct OutgoingPdu(byte[] Header, ArraySegment<byte> Data, StatusNumbering Numbering);
