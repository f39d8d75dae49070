using System.Buffers.Binary;
using System.Net;
using System.Text;
using Newtonsoft.Json.Linq;
using Targetd.Iscsi.Scsi;
using Targetd.Tests.Iscsi;
using Targetd.Tests.Support;

namespace Targetd.Tests.Storage;

/// <summary>
/// One volume exported to two initiators at two LUNs is one SCSI device: the same VPD pages through both, the NAA
/// that libstoragemgmt computes from <c>vol_list</c>'s uuid, reservations shared, all of it back after kill -9.
/// </summary>
[Category("Interop")]
[NonParallelizable]
public sealed class TargetdDeviceIdentityInteropTests
{
    private const string A = "iqn.2024-01.org.example:initiator-a";
    private const string B = "iqn.2024-01.org.example:initiator-b";

    [Test]
    [CancelAfter(120_000)]
    public async Task Both_views_report_one_identity_and_one_reservation_across_a_restart()
    {
        var folder = Directory.CreateTempSubdirectory("targetd-identity-");
        try
        {
            string uuid;
            byte[] serialPage;
            byte[] identificationPage;
            await using (var targetd = await TargetdProcess.StartAsync(folder.FullName))
            {
                await targetd.CallAsync("vol_create", new { pool = "images", name = "shared", size = 16L << 20 });
                await targetd.CallAsync("export_create", new { pool = "images", vol = "shared", initiator_wwn = A, lun = 0 });
                await targetd.CallAsync("export_create", new { pool = "images", vol = "shared", initiator_wwn = B, lun = 3 });
                var volumes = (JArray)(await targetd.CallAsync("vol_list", new { pool = "images" }))["result"]!;
                uuid = (string)volumes.Single(v => (string?)v["name"] == "shared")["uuid"]!;

                await using var a = await LoginAsync(targetd, A);
                await using var b = await LoginAsync(targetd, B);
                serialPage = await VpdAsync(a, 0, 0x80);
                identificationPage = await VpdAsync(a, 0, 0x83);
                (await VpdAsync(b, 3, 0x80)).Should().Equal(serialPage);
                (await VpdAsync(b, 3, 0x83)).Should().Equal(identificationPage);

                Encoding.ASCII.GetString(serialPage, 4, serialPage.Length - 4).Should().Be(uuid);
                identificationPage[5].Should().Be(0x03, "the first designator is the logical unit's NAA");
                identificationPage[7].Should().Be(16);
                Convert.ToHexStringLower(identificationPage, 8, 16).Should().Be(LibStorageMgmtNaa(uuid));

                // A registers with APTPL and reserves through LUN 0; B reads it through LUN 3 and cannot write.
                await a.ClearUnitAttentionsAsync(0);
                await b.ClearUnitAttentionsAsync(3);
                var register = await a.ExecuteAsync(0, Cdb.PersistentReserveOut(0x00, 0, 24), 24, false, Parameters(0, 0xA11CE, aptpl: true));
                register.Status.Should().Be(ScsiStatus.Good);
                (await a.ExecuteAsync(0, Cdb.PersistentReserveOut(0x01, 0x01, 24), 24, false, Parameters(0xA11CE, 0))).Status.Should().Be(ScsiStatus.Good);
                await ShouldSeeReservationAsync(b, 3);
            }

            // kill -9, then a new daemon over the same state.
            await using (var targetd = await TargetdProcess.StartAsync(folder.FullName))
            {
                await using var b = await LoginAsync(targetd, B);
                await using var a = await LoginAsync(targetd, A);
                (await VpdAsync(b, 3, 0x80)).Should().Equal(serialPage);
                (await VpdAsync(b, 3, 0x83)).Should().Equal(identificationPage);
                (await VpdAsync(a, 0, 0x83)).Should().Equal(identificationPage);
                await b.ClearUnitAttentionsAsync(3);
                await ShouldSeeReservationAsync(b, 3);
            }
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    /// <summary>libstoragemgmt's targetd plugin: "6001405" then the uuid's first 25 hex digits, zero-filled to 32.</summary>
    private static string LibStorageMgmtNaa(string uuid) => ("6001405" + uuid.Replace("-", string.Empty, StringComparison.Ordinal)[..25]).ToLowerInvariant();

    private static async Task ShouldSeeReservationAsync(TestInitiator initiator, int lun)
    {
        var keys = await initiator.ExecuteAsync(lun, Cdb.PersistentReserveIn(0x01, 255), 255, true);
        keys.Status.Should().Be(ScsiStatus.Good);
        BinaryPrimitives.ReadUInt32BigEndian(keys.Data.AsSpan(4)).Should().Be(16, "one reservation descriptor");
        BinaryPrimitives.ReadUInt64BigEndian(keys.Data.AsSpan(8)).Should().Be(0xA11CEUL);
        (keys.Data[21] & 0x0F).Should().Be(1, "write exclusive");
        var write = await initiator.ExecuteAsync(lun, Cdb.Write10(0, 1), 512, false, new byte[512]);
        write.Status.Should().Be(ScsiStatus.ReservationConflict);
    }

    private static byte[] Parameters(ulong key, ulong serviceActionKey, bool aptpl = false)
    {
        var parameters = new byte[24];
        BinaryPrimitives.WriteUInt64BigEndian(parameters, key);
        BinaryPrimitives.WriteUInt64BigEndian(parameters.AsSpan(8), serviceActionKey);
        parameters[20] = (byte)(aptpl ? 0x01 : 0x00);
        return parameters;
    }

    private static async Task<byte[]> VpdAsync(TestInitiator initiator, int lun, byte page)
    {
        var reply = await initiator.ExecuteAsync(lun, Cdb.Inquiry(true, page), 255, true);
        reply.Status.Should().Be(ScsiStatus.Good);
        reply.Data.Should().NotBeEmpty();
        return reply.Data;
    }

    private static async Task<TestInitiator> LoginAsync(TargetdProcess targetd, string initiatorName)
    {
        var initiator = await TestInitiator.ConnectAsync(new IPEndPoint(IPAddress.Loopback, targetd.PortalPort));
        (await initiator.LoginAsync(TargetdProcess.TargetName, initiatorName)).Should().Be(0, "the login of " + initiatorName);
        return initiator;
    }
}
