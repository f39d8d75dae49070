using Targetd.Core.BlockDevices;
using Targetd.Iscsi.Scsi;

namespace Targetd.Tests.Iscsi;

public sealed class ScsiFuzzTests
{
    /// <summary>Reservation, copy, sanitize and mode commands that parse parameter lists.</summary>
    private static readonly byte[] Opcodes = [0x5E, 0x5F, 0x16, 0x17, 0x56, 0x57, 0x83, 0x84, 0x48, 0x15, 0x55, 0x1A, 0x5A, 0xA3, 0x12];

    [Test]
    public async Task Random_cdbs_and_parameter_lists_get_a_status_and_leave_the_medium_alone()
    {
        var random = new Random(20261124);
        var device = new MemoryBlockDevice(1024 * 1024, chunkSize: 4096);
        var unit = new ScsiLogicalUnit(device, "iqn.2024-01.net.targetd.test:fuzz", 0);
        var sentinel = Enumerable.Range(0, 64 * 512).Select(i => (byte)(i * 31)).ToArray();
        await device.WriteAsync(0, sentinel);
        var statuses = new Dictionary<ScsiStatus, int>();

        for (int round = 0; round < 5000; round++)
        {
            var cdb = new byte[16];
            random.NextBytes(cdb);
            cdb[0] = Opcodes[random.Next(Opcodes.Length)];
            if (cdb[0] == 0x48)
            {
                cdb[1] |= 0x40; // a reserved bit: a random SANITIZE must not erase the sentinel
            }

            var dataOut = new byte[random.Next(0, 600)];
            random.NextBytes(dataOut);
            var dataIn = new byte[random.Next(0, 2048)];
            var port = random.Next(3) == 0 ? null : $"iqn.2024-01.net.targetd.test:fuzz{random.Next(3)},i,0x00000000000{random.Next(3)}";

            var result = await unit.ExecuteAsync(new ScsiRequest(cdb, (ulong)random.Next(1, 4), dataOut, dataIn, port), CancellationToken.None);

            result.Status.Should().BeOneOf(ScsiStatus.Good, ScsiStatus.CheckCondition, ScsiStatus.ReservationConflict);
            result.DataInLength.Should().BeInRange(0, dataIn.Length);
            if (result.Status == ScsiStatus.CheckCondition)
            {
                result.Sense.Should().NotBeNull();
            }

            statuses[result.Status] = statuses.GetValueOrDefault(result.Status) + 1;
        }

        var back = new byte[sentinel.Length];
        await device.ReadAsync(0, back);
        back.Should().Equal(sentinel);
        statuses.Keys.Should().Contain([ScsiStatus.Good, ScsiStatus.CheckCondition], "the inputs reach both the accepting and the refusing paths");
    }
}
