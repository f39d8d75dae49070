using System.Buffers.Binary;
using System.Net;
using Newtonsoft.Json.Linq;
using Targetd.Iscsi.Scsi;
using Targetd.Tests.Iscsi;
using Targetd.Tests.Support;

namespace Targetd.Tests.Storage;

/// <summary>
/// <c>vol_resize</c> of an exported image volume under live I/O: the device that serves it grows in place (no second
/// writer on the file), the initiator meets CAPACITY DATA HAS CHANGED and then reads the new capacity, no write is
/// lost, and <c>qemu-img check</c> finds the image clean.
/// </summary>
[Category("Interop")]
[NonParallelizable]
public sealed class TargetdResizeInteropTests
{
    private const string Initiator = "iqn.2024-01.org.example:resizer";
    private const long Before = 16L << 20;
    private const long After = 48L << 20;

    [Test]
    [CancelAfter(120_000)]
    public async Task An_exported_volume_grows_under_writes_and_its_initiator_is_told()
    {
        var folder = Directory.CreateTempSubdirectory("targetd-resize-");
        try
        {
            string image = Path.Combine(folder.FullName, "images", "live.qcow2");
            await using (var targetd = await TargetdProcess.StartAsync(folder.FullName))
            {
                await targetd.CallAsync("vol_create", new { pool = "images", name = "live", size = Before });
                await targetd.CallAsync("export_create", new { pool = "images", vol = "live", initiator_wwn = Initiator, lun = 0 });
                await using var session = await TestInitiator.ConnectAsync(new IPEndPoint(IPAddress.Loopback, targetd.PortalPort));
                (await session.LoginAsync(TargetdProcess.TargetName, Initiator)).Should().Be(0);
                await session.ClearUnitAttentionsAsync(0);
                (await CapacityAsync(session)).Should().Be(Before);

                // Writes go on while vol_resize runs; each LBA's last acknowledged content is remembered.
                var written = new Dictionary<uint, byte>();
                var attentions = 0;
                var resize = targetd.CallAsync("vol_resize", new { pool = "images", name = "live", size = After });
                uint round = 0;
                while (!resize.IsCompleted || round < 64 || attentions == 0)
                {
                    round++;
                    uint lba = (round * 7919) % (uint)(Before / 512);
                    byte fill = (byte)round;
                    var reply = await session.ExecuteAsync(0, Cdb.Write10(lba, 1), 512, false, Enumerable.Repeat(fill, 512).ToArray());
                    if (reply.Status == ScsiStatus.CheckCondition)
                    {
                        reply.SenseKey.Should().Be(0x06, "a unit attention");
                        (reply.Asc, reply.Sense[13]).Should().Be(((byte)0x2A, (byte)0x09), "CAPACITY DATA HAS CHANGED");
                        attentions++;
                        continue;
                    }

                    reply.Status.Should().Be(ScsiStatus.Good);
                    written[lba] = fill;
                    round.Should().BeLessThan(200_000, "the resize ends and its unit attention arrives");
                }

                await resize;
                attentions.Should().Be(1, "one unit attention for the one change");
                (await CapacityAsync(session)).Should().Be(After);

                // The grown space is usable, and every acknowledged write reads back.
                uint last = (uint)(After / 512) - 1;
                (await session.ExecuteAsync(0, Cdb.Write10(last, 1), 512, false, Enumerable.Repeat((byte)0xEE, 512).ToArray())).Status.Should().Be(ScsiStatus.Good);
                written[last] = 0xEE;
                foreach (var (lba, fill) in written)
                {
                    var read = await session.ExecuteAsync(0, Cdb.Read10(lba, 1), 512, true);
                    read.Status.Should().Be(ScsiStatus.Good);
                    read.Data.Should().AllBeEquivalentTo(fill, $"LBA {lba} keeps its last acknowledged write");
                }

                var volumes = (JArray)(await targetd.CallAsync("vol_list", new { pool = "images" }))["result"]!;
                ((long)volumes.Single(v => (string?)v["name"] == "live")["size"]!).Should().Be(After);

                // A second opener of the served image is refused: QEMU's tool meets the daemon's write lock.
                var qemuWrite = await ExternalTool.RunAsync("qemu-img", "resize", image, "64M");
                qemuWrite.ExitCode.Should().NotBe(0);
                qemuWrite.StandardError.Should().Contain("Failed to get \"write\" lock");
                (await targetd.CallAsync("export_destroy", new { pool = "images", vol = "live", initiator_wwn = Initiator })).Should().NotBeNull();
            }

            var check = await ExternalTool.RunAsync("qemu-img", "check", image);
            check.ExitCode.Should().Be(0, check.StandardOutput + check.StandardError);
            check.StandardOutput.Should().Contain("No errors were found");
            var info = JObject.Parse(await ExternalTool.RunOkAsync("qemu-img", "info", "--output=json", image));
            ((long)info["virtual-size"]!).Should().Be(After);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    private static async Task<long> CapacityAsync(TestInitiator session)
    {
        var reply = await session.ExecuteAsync(0, Cdb.ReadCapacity16(), 32, true);
        reply.Status.Should().Be(ScsiStatus.Good);
        return ((long)BinaryPrimitives.ReadUInt64BigEndian(reply.Data) + 1) * BinaryPrimitives.ReadUInt32BigEndian(reply.Data.AsSpan(8));
    }
}
