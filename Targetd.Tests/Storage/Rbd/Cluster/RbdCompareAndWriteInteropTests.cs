using System.Buffers.Binary;
using Targetd.Core.BlockDevices;
using Targetd.Iscsi.Scsi;
using Targetd.Storage.Pools.Rbd;
using Targetd.Storage.Pools.Rbd.Native;
using Targetd.Tests.Iscsi;
using Targetd.Tests.Support;

namespace Targetd.Tests.Storage.Rbd.Cluster;

/// <summary>
/// COMPARE AND WRITE (SBC-3 §5.2) on one RBD volume served by two gateway processes: librbd's compare-and-write
/// makes it one operation of the cluster, so two initiators racing through two gateways never both win.
/// </summary>
[Category("Interop")]
[NonParallelizable]
public sealed class RbdCompareAndWriteInteropTests
{
    private const string A = RbdReservationInteropTests.A;
    private const string B = RbdReservationInteropTests.B;
    private const int Block = 512;
    private const int Rounds = 100;
    private const int SharedPrefix = 16;

    private static CephCluster Cluster => CephClusterSetUp.Cluster;

    [Test]
    [CancelAfter(120_000)]
    public async Task Librbd_compares_and_writes_one_sector_reports_the_mismatch_from_the_object_start_and_refuses_a_longer_range()
    {
        using var context = new NativeRadosApi().Connect(new RbdPoolOptions(CephCluster.Pool, Cluster.ConfPath, "admin"));
        await RbdBlocking.RunAsync(() => context.CreateImage("caw-native", 16L << 20), CancellationToken.None);
        using (var image = await RbdBlocking.RunAsync(() => context.OpenImage("caw-native", readOnly: false), CancellationToken.None))
        {
            long sector = (4L << 20) - Block;
            var zeroes = new byte[Block];
            var first = Filled(Block, 0x5A);
            var wrong = (byte[])first.Clone();
            wrong[100] ^= 0xFF;
            long later = (13L << 20) + 4096;
            await image.WriteAsync(later, first);

            (await image.CompareAndWriteAsync(sector, zeroes, first)).Should().Be(-1, "a sector never written compares as zeroes");
            long inFirstObject = await image.CompareAndWriteAsync(sector, wrong, Filled(Block, 0x11));
            long inFourthObject = await image.CompareAndWriteAsync(later, wrong, Filled(Block, 0x11));
            var back = new byte[Block];
            await image.ReadAsync(sector, back);

            back.Should().Equal(first, "a miscompare writes nothing");
            inFirstObject.Should().Be(100, "Ceph 16.2 reports the object's start (0) plus the offset within the range");
            inFourthObject.Should().Be((12L << 20) + 100, "the object's start (12 MiB), not the image offset of the difference");

            var twoSectors = () => image.CompareAndWriteAsync(0, new byte[2 * Block], Filled(2 * Block, 1));
            var acrossObjects = () => image.CompareAndWriteAsync(sector, (byte[])[.. first, .. zeroes], Filled(2 * Block, 2));
            (await twoSectors.Should().ThrowAsync<RbdException>()).Which.Errno.Should().Be(RbdException.EINVAL, "more than one 512-byte sector");
            (await acrossObjects.Should().ThrowAsync<RbdException>()).Which.Errno.Should().Be(RbdException.EINVAL, "the range crosses the 4 MiB object boundary");
        }

        using (var pool = new RbdBlockPool("ceph", new RbdPoolOptions(CephCluster.Pool, Cluster.ConfPath, "admin")))
        await using (var device = await pool.OpenAsync("caw-native"))
        {
            var atomic = (ICompareAndWriteDevice)device;
            var expected = Filled(Block, 0x5A);
            expected[200] = 0;
            (await atomic.CompareAndWriteAsync((13L << 20) + 4096, expected, Filled(Block, 0x11))).Should().Be(200, "the device counts from the range");
        }

        await RbdBlocking.RunAsync(() => context.RemoveImage("caw-native"), CancellationToken.None);
    }

    [Test]
    [CancelAfter(300_000)]
    public async Task Initiators_racing_through_two_gateways_have_exactly_one_winner_each_round()
    {
        var folderA = Directory.CreateTempSubdirectory("targetd-rbd-caw-a-");
        var folderB = Directory.CreateTempSubdirectory("targetd-rbd-caw-b-");
        try
        {
            await using var one = await TargetdProcess.StartAsync(folderA.FullName, RbdExportInteropTests.RbdYaml);
            await using var two = await TargetdProcess.StartAsync(folderB.FullName, RbdExportInteropTests.RbdYaml);
            await one.CallAsync("vol_create", new { pool = "ceph", name = "caw-race", size = 16L << 20 });
            await RbdReservationInteropTests.ExportAsync(one, "caw-race");
            await RbdReservationInteropTests.ExportAsync(two, "caw-race");
            await using var a = await RbdReservationInteropTests.LoginAsync(one, A);
            await using var b = await RbdReservationInteropTests.LoginAsync(two, B);
            await a.ClearUnitAttentionsAsync(0);
            await b.ClearUnitAttentionsAsync(0);

            const uint lba = (3 * (4 << 20) / Block) + 77; // in the fourth object, where librbd's mismatch offset is not the image's
            byte[] current = new byte[Block];
            int winsA = 0;
            for (int round = 0; round < Rounds; round++)
            {
                byte[] fromA = Pattern(round, 'A');
                byte[] fromB = Pattern(round, 'B');
                var raceA = Task.Run(() => a.ExecuteAsync(0, Cdb.CompareAndWrite(lba, 1), 2 * Block, false, [.. current, .. fromA]));
                var raceB = Task.Run(() => b.ExecuteAsync(0, Cdb.CompareAndWrite(lba, 1), 2 * Block, false, [.. current, .. fromB]));
                var replies = await Task.WhenAll(raceA, raceB);

                replies.Count(r => r.Status == ScsiStatus.Good).Should().Be(1, $"round {round}: one COMPARE AND WRITE wins");
                var loser = replies.Single(r => r.Status != ScsiStatus.Good);
                loser.Status.Should().Be(ScsiStatus.CheckCondition);
                (loser.Sense[2] & 0x0F).Should().Be(0x0E, $"round {round}: MISCOMPARE");
                BinaryPrimitives.ReadUInt32BigEndian(loser.Sense.AsSpan(3)).Should().Be(round == 0 ? 0u : SharedPrefix, "the blocks of the rounds share their first bytes");
                bool aWon = replies[0].Status == ScsiStatus.Good;
                winsA += aWon ? 1 : 0;
                current = aWon ? fromA : fromB;

                var throughA = await a.ExecuteAsync(0, Cdb.Read10(lba, 1), Block, true);
                var throughB = await b.ExecuteAsync(0, Cdb.Read10(lba, 1), Block, true);
                throughA.Data.Should().Equal(current, $"round {round}: the block holds the winner's data");
                throughB.Data.Should().Equal(current);
            }

            await TestContext.Progress.WriteLineAsync($"COMPARE AND WRITE race through two gateways: {Rounds} rounds, A won {winsA}, B won {Rounds - winsA}");
        }
        finally
        {
            folderA.Delete(recursive: true);
            folderB.Delete(recursive: true);
        }
    }

    [Test]
    [CancelAfter(120_000)]
    public async Task The_gateway_reports_and_keeps_the_one_block_librbd_compares_and_writes()
    {
        var folder = Directory.CreateTempSubdirectory("targetd-rbd-caw-limit-");
        try
        {
            await using var targetd = await TargetdProcess.StartAsync(folder.FullName, RbdExportInteropTests.RbdYaml);
            await targetd.CallAsync("vol_create", new { pool = "ceph", name = "caw-limit", size = 16L << 20 });
            await targetd.CallAsync("export_create", new { pool = "ceph", vol = "caw-limit", initiator_wwn = A, lun = 0 });
            await using var a = await RbdReservationInteropTests.LoginAsync(targetd, A);
            await a.ClearUnitAttentionsAsync(0);
            const ulong lba = ((4L << 20) / Block) - 1; // the last block of the first object and the first of the second

            var limits = await a.ExecuteAsync(0, Cdb.Inquiry(true, 0xB0), 64, true);
            var twoBlocks = await a.ExecuteAsync(0, Cdb.CompareAndWrite(lba, 2), 4 * Block, false, [.. new byte[2 * Block], .. Filled(2 * Block, 0x3C)]);
            var back = await a.ExecuteAsync(0, Cdb.Read16(lba, 2), 2 * Block, true);

            limits.Data[5].Should().Be(1, "MAXIMUM COMPARE AND WRITE LENGTH: what librbd compares and writes in one operation");
            twoBlocks.Status.Should().Be(ScsiStatus.CheckCondition, "a longer COMPARE AND WRITE could not be atomic across gateways");
            (twoBlocks.SenseKey, twoBlocks.Asc).Should().Be(((byte)0x05, (byte)0x24), "ILLEGAL REQUEST, INVALID FIELD IN CDB");
            back.Data.Should().OnlyContain(x => x == 0, "nothing was written");
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    /// <summary>
    /// A block that starts with the same <see cref="SharedPrefix"/> bytes in every round; each later byte differs
    /// from the other initiator's block of the same round and from the round before.
    /// </summary>
    private static byte[] Pattern(int round, char initiator)
    {
        var block = Filled(Block, (byte)((initiator == 'A' ? 1 : 2) + (2 * round % 250)));
        block.AsSpan(0, SharedPrefix).Fill(0xEE);
        return block;
    }

    private static byte[] Filled(int length, byte value) => Enumerable.Repeat(value, length).ToArray();
}
