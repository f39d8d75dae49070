using System.Buffers.Binary;
using Targetd.Core.BlockDevices;
using Targetd.Iscsi.Scsi;

namespace Targetd.Tests.Iscsi;

/// <summary>Runs reservation commands (SPC-4 §6.15, §6.16; SPC-2 RESERVE and RELEASE) against a logical unit as one initiator or another.</summary>
internal static class ReservationDriver
{
    internal const byte WriteExclusive = 1;
    internal const byte ExclusiveAccess = 3;
    internal const byte WriteExclusiveRegistrantsOnly = 5;
    internal const byte ExclusiveAccessRegistrantsOnly = 6;
    internal const byte ExclusiveAccessAllRegistrants = 8;

    internal static readonly ReservationInitiator First = new(1, "iqn.2024-01.net.targetd.test:one,i,0x23d000000001");
    internal static readonly ReservationInitiator Second = new(2, "iqn.2024-01.net.targetd.test:two,i,0x23d000000002");

    internal static ScsiLogicalUnit PersistentUnit(string directory) =>
        new(new MemoryBlockDevice(1024 * 1024), "iqn.2024-01.net.targetd.test:pr", 0, reservationsDirectory: directory);

    internal static ScsiLogicalUnit Unit() =>
        new(new MemoryBlockDevice(1024 * 1024), "iqn.2024-01.net.targetd.test:pr", 0);

    internal static async Task<(ScsiResult Result, byte[] Data)> RunAsync(
        ScsiLogicalUnit unit, ReservationInitiator initiator, byte[] cdb, int dataIn = 0, byte[]? dataOut = null)
    {
        var buffer = new byte[dataIn];
        var cdb16 = new byte[16];
        cdb.CopyTo(cdb16, 0);
        var request = new ScsiRequest(cdb16, initiator.Nexus, dataOut ?? [], buffer, initiator.Port);
        var result = await unit.ExecuteAsync(request, CancellationToken.None);
        return (result, buffer[..result.DataInLength]);
    }

    internal static async Task<bool> CanReadAsync(ScsiLogicalUnit unit, ReservationInitiator initiator)
    {
        var status = (await RunAsync(unit, initiator, Cdb.Read10(0, 1), 512)).Result.Status;
        status.Should().BeOneOf(ScsiStatus.Good, ScsiStatus.ReservationConflict);
        return status == ScsiStatus.Good;
    }

    internal static async Task<bool> CanWriteAsync(ScsiLogicalUnit unit, ReservationInitiator initiator)
    {
        var status = (await RunAsync(unit, initiator, Cdb.Write10(0, 1), 0, new byte[512])).Result.Status;
        status.Should().BeOneOf(ScsiStatus.Good, ScsiStatus.ReservationConflict);
        return status == ScsiStatus.Good;
    }

    internal static async Task<(uint Generation, ulong[] Keys)> ReadKeysAsync(ScsiLogicalUnit unit, ReservationInitiator initiator)
    {
        var (result, data) = await RunAsync(unit, initiator, Cdb.PersistentReserveIn(0x00, 1024), 1024);
        result.Status.Should().Be(ScsiStatus.Good);
        uint length = BinaryPrimitives.ReadUInt32BigEndian(data.AsSpan(4));
        var keys = Enumerable.Range(0, (int)length / 8).Select(i => BinaryPrimitives.ReadUInt64BigEndian(data.AsSpan(8 + (8 * i)))).ToArray();
        return (BinaryPrimitives.ReadUInt32BigEndian(data), keys);
    }

    internal static Task<ScsiResult> RegisterAsync(ScsiLogicalUnit unit, ReservationInitiator initiator, ulong key, ulong newKey) =>
        OutAsync(unit, initiator, 0x00, 0, Parameters(key, newKey));

    internal static Task<ScsiResult> ReserveAsync(ScsiLogicalUnit unit, ReservationInitiator initiator, ulong key, byte type) =>
        OutAsync(unit, initiator, 0x01, type, Parameters(key, 0));

    internal static Task<ScsiResult> ReleaseAsync(ScsiLogicalUnit unit, ReservationInitiator initiator, ulong key, byte type) =>
        OutAsync(unit, initiator, 0x02, type, Parameters(key, 0));

    internal static async Task<ScsiResult> OutAsync(ScsiLogicalUnit unit, ReservationInitiator initiator, byte action, byte scopeAndType, byte[] parameters) =>
        (await RunAsync(unit, initiator, Cdb.PersistentReserveOut(action, scopeAndType, 24), 0, parameters)).Result;

    internal static byte[] Parameters(ulong key, ulong serviceActionKey, bool aptpl = false)
    {
        var parameters = new byte[24];
        parameters[20] = (byte)(aptpl ? 0x01 : 0x00);
        BinaryPrimitives.WriteUInt64BigEndian(parameters, key);
        BinaryPrimitives.WriteUInt64BigEndian(parameters.AsSpan(8), serviceActionKey);
        return parameters;
    }

    private sealed record Initiator(ulong Nexus, string Port);
}
