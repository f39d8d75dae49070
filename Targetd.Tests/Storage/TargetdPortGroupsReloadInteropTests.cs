using System.Diagnostics;
using System.Net;
using Targetd.Iscsi.Scsi;
using Targetd.Tests.Iscsi;
using Targetd.Tests.Support;

namespace Targetd.Tests.Storage;

/// <summary>SIGHUP takes targetd.yaml's port group keys again: the initiator meets ASYMMETRIC ACCESS STATE CHANGED and the new group.</summary>
[Category("Interop")]
[NonParallelizable]
public sealed class TargetdPortGroupsReloadInteropTests
{
    private const string Initiator = "iqn.2024-01.org.example:alua-reload";

    [Test]
    [CancelAfter(120_000)]
    public async Task A_changed_group_is_announced_to_the_logged_in_initiator()
    {
        var folder = Directory.CreateTempSubdirectory("targetd-alua-reload-");
        try
        {
            await using var targetd = await TargetdProcess.StartAsync(folder.FullName);
            await targetd.CallAsync("vol_create", new { pool = "images", name = "disk", size = 16L << 20 });
            await targetd.CallAsync("export_create", new { pool = "images", vol = "disk", initiator_wwn = Initiator, lun = 0 });
            await using var session = await TestInitiator.ConnectAsync(new IPEndPoint(IPAddress.Loopback, targetd.PortalPort));
            (await session.LoginAsync(TargetdProcess.TargetName, Initiator)).Should().Be(0);
            await session.ClearUnitAttentionsAsync(0);
            (await session.ExecuteAsync(0, Cdb.ReportTargetPortGroups(), 4096, true)).Data[4..8].Should().Equal(0x80, 0x01, 0x00, 0x01);

            await File.AppendAllTextAsync(Path.Combine(folder.FullName, "targetd.yaml"), "\ntarget_port_group: 5\n");
            using (var kill = Process.Start("kill", ["-HUP", targetd.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            {
                await kill.WaitForExitAsync();
            }

            ScsiReply reply;
            int tries = 0;
            do
            {
                await Task.Delay(100);
                reply = await session.ExecuteAsync(0, Cdb.TestUnitReady(), 0, false);
                (++tries).Should().BeLessThan(100, "the reload is announced within 10 s:\n" + targetd.Log);
            }
            while (reply.Status == ScsiStatus.Good);

            reply.SenseKey.Should().Be(0x06, "a unit attention");
            (reply.Asc, reply.Sense[13]).Should().Be(((byte)0x2A, (byte)0x06), "ASYMMETRIC ACCESS STATE CHANGED");
            (await session.ExecuteAsync(0, Cdb.TestUnitReady(), 0, false)).Status.Should().Be(ScsiStatus.Good, "announced once");
            (await session.ExecuteAsync(0, Cdb.ReportTargetPortGroups(), 4096, true)).Data.Should().Equal(
                0x00, 0x00, 0x00, 0x0C, 0x80, 0x01, 0x00, 0x05, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x05);
            (await session.ExecuteAsync(0, Cdb.Inquiry(true, 0x83), 255, true)).Data[^2..].Should().Equal(0x00, 0x05);
            await targetd.CallAsync("vol_list", new { pool = "images" });
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }
}
