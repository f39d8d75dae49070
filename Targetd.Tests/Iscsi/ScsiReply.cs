using Targetd.Iscsi.Scsi;
using Targetd.Iscsi.Wire.Pdus;

namespace Targetd.Tests.Iscsi;

/// <summary>The outcome of a command sent by <see cref="TestInitiator"/>.</summary>
internal sealed record ScsiReply(ScsiStatus Status, byte[] Data, byte[] Sense, ScsiResponseFlags ResidualFlags, uint Residual, int DataInPdus, int ReadyToTransferPdus)
{
    public byte SenseKey => Sense.Length > 2 ? (byte)(Sense[2] & 0x0F) : (byte)0;

    public byte Asc => Sense.Length > 12 ? Sense[12] : (byte)0;
}
