namespace Targetd.Iscsi.Server;

/// <summary>One R2T to send (RFC 7143 §11.8): its Target Transfer Tag, R2TSN and the burst it asks for.</summary>
internal readonly record struct ReadyToTransfer(uint TargetTransferTag, uint R2TSN, int Offset, int Length);
