using System.Net;
using Targetd.Tests.Iscsi;
using Targetd.Tests.Support;

namespace Targetd.Tests.Storage;

/// <summary><c>initiator_set_auth</c> with a new secret ends the initiator's running session; the next login needs the new secret.</summary>
[Category("Interop")]
[NonParallelizable]
public sealed class TargetdAuthRotationInteropTests
{
    private const string Initiator = "iqn.2024-01.org.example:rotating";

    [Test]
    [CancelAfter(60_000)]
    public async Task A_rotated_chap_secret_ends_the_old_session()
    {
        var folder = Directory.CreateTempSubdirectory("targetd-rotation-");
        try
        {
            await using var targetd = await TargetdProcess.StartAsync(folder.FullName);
            await targetd.CallAsync("vol_create", new { pool = "images", name = "disk", size = 4L << 20 });
            await targetd.CallAsync("export_create", new { pool = "images", vol = "disk", initiator_wwn = Initiator, lun = 0 });
            await targetd.CallAsync("initiator_set_auth", new { initiator_wwn = Initiator, in_user = "rot", in_pass = "first-secret-1", out_user = (string?)null, out_pass = (string?)null });
            var portal = new IPEndPoint(IPAddress.Loopback, targetd.PortalPort);
            await using var old = await TestInitiator.ConnectAsync(portal);
            (await old.LoginAsync(TargetdProcess.TargetName, Initiator, chap: ("rot", "first-secret-1"))).Should().Be(0);
            (await old.NopAsync([1])).Data.Should().Equal(1);

            await targetd.CallAsync("initiator_set_auth", new { initiator_wwn = Initiator, in_user = "rot", in_pass = "second-secret-2", out_user = (string?)null, out_pass = (string?)null });

            (await old.IsClosedByTargetAsync()).Should().BeTrue("the session proved a secret that is no longer the initiator's");
            await using (var stale = await TestInitiator.ConnectAsync(portal))
            {
                (await stale.LoginAsync(TargetdProcess.TargetName, Initiator, chap: ("rot", "first-secret-1"))).Should().Be(0x0201);
            }

            await using var fresh = await TestInitiator.ConnectAsync(portal);
            (await fresh.LoginAsync(TargetdProcess.TargetName, Initiator, chap: ("rot", "second-secret-2"))).Should().Be(0);
            (await fresh.NopAsync([2])).Data.Should().Equal(2);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }
}
