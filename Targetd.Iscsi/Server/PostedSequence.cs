namespace Targetd.Iscsi.Server;

/// <summary>
/// A command's Data-In handed to the <see cref="PduWriter"/> to send when its turn comes: the PDUs (in an array from
/// <see cref="System.Buffers.ArrayPool{T}.Shared"/>), the task they answer and the buffer their data lies in. Whoever
/// posted it learns through the writer's callback when the transport no longer touches the buffers.
/// </summary>
internal readonly record struct PostedSequence(ArraySegment<OutgoingPdu> Pdus, IscsiTask Task, byte[] Buffer);
