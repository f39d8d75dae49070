using System.Net;
using Targetd.Core.Exports;
using Targetd.Iscsi;
using Targetd.Iscsi.Scsi;
using Targetd.Iscsi.Targets;
using Targetd.Storage.Qcow2Target;
using Targetd.Tests.Iscsi;

namespace Targetd.Tests.Storage;

/// <summary>The qcow2target service gives every target it creates or restores the configured access, and the target enforces it.</summary>
public sealed class Qcow2TargetAccessTests
{
    private const string Target = "iqn.2008-05.com.example:board1";
    private const string Allowed = "iqn.1993-08.org.debian:01:allowed";
    private const string Other = "iqn.1993-08.org.debian:01:other";
    private static readonly TargetAccess Access = new([Allowed], new InitiatorCredentials("alice", "alice-secret-12", "array", "array-secret-34"));
    private DirectoryInfo _root = null!;

    [SetUp]
    public async Task SetUp()
    {
        _root = Directory.CreateTempSubdirectory("targetd-q2t-access-");
        Directory.CreateDirectory(Path.Combine(_root.FullName, "disks"));
        await File.WriteAllBytesAsync(Path.Combine(_root.FullName, "disks", "raw.img"), new byte[1 << 20]);
    }

    [TearDown]
    public void TearDown() => _root.Delete(recursive: true);

    private Qcow2TargetService Service(IIscsiTargetPort port, TargetAccess? access) => new(
        new Qcow2TargetOptions
        {
            DisksRoot = Path.Combine(_root.FullName, "disks"),
            StateFile = Path.Combine(_root.FullName, "state.json"),
            Access = access ?? TargetAccess.Open,
        },
        port);

    [Test]
    public async Task Added_and_restored_targets_get_the_access_of_the_options()
    {
        var port = new FakeIscsiTargetPort();
        await using (var service = Service(port, Access))
        {
            await service.AddTargetAsync(Target);
        }

        var restartedPort = new FakeIscsiTargetPort();
        await using (var restarted = Service(restartedPort, Access with { AllowedInitiators = [Other] }))
        {
            await restarted.RestoreAsync();
        }

        port.Access[Target].Should().Be(Access);
        restartedPort.Access[Target].AllowedInitiators.Should().Equal([Other], "a restart applies the settings in effect, not those of the target's creation");
        new Qcow2TargetOptions { DisksRoot = "/" }.Access.IsOpen.Should().BeTrue();
    }

    [Test]
    public void The_engine_target_admits_the_listed_initiators_with_the_credentials_or_anyone_with_them()
    {
        var registry = new IscsiTargetRegistry();
        var port = new IscsiTargetPort(registry);

        port.AddTarget(Target, Access);
        port.AddTarget("iqn.2008-05.com.example:chap-only", new TargetAccess([], new InitiatorCredentials("bob", "bob-secret-123")));
        port.AddTarget("iqn.2008-05.com.example:open", TargetAccess.Open);

        registry.TryGet(Target, out var listed).Should().BeTrue();
        listed!.Acls.Should().ContainSingle().Which.Should().Be(new IscsiInitiatorAcl(Allowed, new ChapCredentials("alice", "alice-secret-12", "array", "array-secret-34")));
        registry.TryGet("iqn.2008-05.com.example:chap-only", out var chapOnly).Should().BeTrue();
        chapOnly!.Acls.Should().BeEmpty();
        chapOnly.Chap.Should().Be(new ChapCredentials("bob", "bob-secret-123"));
        registry.TryGet("iqn.2008-05.com.example:open", out var open).Should().BeTrue();
        (open!.Acls.Count, open.Chap).Should().Be((0, (ChapCredentials?)null));
        var bad = () => port.AddTarget("iqn.2008-05.com.example:bad", new TargetAccess(["not-an-iqn"], null));
        bad.Should().Throw<ArgumentException>();
        registry.TryGet("iqn.2008-05.com.example:bad", out _).Should().BeFalse("a target whose access cannot be set is not served");
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task Logins_other_than_the_listed_initiator_with_its_secret_are_refused_and_it_is_served()
    {
        var registry = new IscsiTargetRegistry();
        await using var portal = new IscsiPortal(registry, new IPEndPoint(IPAddress.Loopback, 0));
        await portal.StartAsync();
        await using var service = Service(new IscsiTargetPort(registry), Access);
        await service.AddTargetAsync(Target);
        await service.AttachAsync(Target, "raw.img");

        var otherName = await LoginAsync(portal, Other, ("alice", "alice-secret-12"));
        var noChap = await LoginAsync(portal, Allowed, null);
        var wrongSecret = await LoginAsync(portal, Allowed, ("alice", "alice-secret-13"));
        var wrongUser = await LoginAsync(portal, Allowed, ("mallory", "alice-secret-12"));

        otherName.Should().Be(0x0202, "an initiator not listed is not authorized (RFC 7143: 0202h)");
        noChap.Should().Be(0x0201, "a login without CHAP fails authentication (0201h)");
        wrongSecret.Should().Be(0x0201);
        wrongUser.Should().Be(0x0201);
        registry.Sessions.Should().BeEmpty();

        await using var initiator = await TestInitiator.ConnectAsync(portal.LocalEndPoint!);
        (await initiator.LoginAsync(Target, Allowed, ("alice", "alice-secret-12"), ("array", "array-secret-34"))).Should().Be(0);
        var read = await initiator.ExecuteAsync(0, Cdb.Read10(0, 1), 512, read: true);
        read.Status.Should().Be(ScsiStatus.Good);
    }

    private static async Task<ushort> LoginAsync(IscsiPortal portal, string initiatorName, (string, string)? chap)
    {
        await using var initiator = await TestInitiator.ConnectAsync(portal.LocalEndPoint!);
        return await initiator.LoginAsync(Target, initiatorName, chap);
    }
}
