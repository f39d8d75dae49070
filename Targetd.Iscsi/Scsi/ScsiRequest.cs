namespace Targetd.Iscsi.Scsi;

/// <summary>A SCSI command as the transport delivers it: the CDB, the I_T nexus that sent it and its data buffers.</summary>
/// <param name="Cdb">The command descriptor block (6 to 16 bytes).</param>
/// <param name="Nexus">An identifier of the I_T nexus (initiator port, target port), unique while the nexus exists.</param>
/// <param name="DataOut">The data the initiator sent (writes); empty otherwise.</param>
/// <param name="DataIn">The buffer for data to the initiator (reads), as long as the initiator expects; empty otherwise.</param>
internal readonly record struct ScsiRequest(ReadOnlyMemory<byte> Cdb, ulong Nexus, ReadOnlyMemory<byte> DataOut, Memory<byte> DataIn);
