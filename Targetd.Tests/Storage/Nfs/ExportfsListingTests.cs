using Targetd.Storage.Nfs;

namespace Targetd.Tests.Storage.Nfs;

/// <summary>Reading <c>exportfs -v</c> as nfs-utils 2.6 prints it, and the exports(5) client forms.</summary>
public sealed class ExportfsListingTests
{
    [Test]
    public void Short_and_wrapped_lines_world_and_spaces_are_read()
    {
        const string output = "/tmp/e1       \t192.168.0.0/24(sync,wdelay,hide,no_subtree_check,sec=sys,rw,root_squash,no_all_squash)\n"
            + "/tmp/e 2      \t@grp(sync,wdelay,hide,no_subtree_check,fsid=7,anonuid=-1,sec=sys,rw,root_squash,no_all_squash)\n"
            + "/srv/a/long/exported/path\n\t\t<world>(sync,wdelay,hide,no_subtree_check,sec=sys:krb5,ro,root_squash,no_all_squash)\n"
            + "/x\t\tfe80::1(rw,pnfs)\n";

        var exports = ExportfsListing.Parse(output);

        exports.Select(e => (e.Host, e.Path)).Should().Equal(("192.168.0.0/24", "/tmp/e1"), ("@grp", "/tmp/e 2"), ("*", "/srv/a/long/exported/path"), ("fe80::1", "/x"));
        exports[1].Options.Should().Equal("rw", "sync", "no_subtree_check", "root_squash", "wdelay", "hide", "no_all_squash", "fsid=7", "anonuid=-1", "sec=sys");
        exports[3].Options.Should().Equal("rw", "pnfs");
    }

    [TestCase("*", "*")]
    [TestCase("client.example.com", "client.example.com")]
    [TestCase("*.example.com", "*.example.com")]
    [TestCase("h?st", "h?st")]
    [TestCase("@netgroup", "@netgroup")]
    [TestCase("10.1.2.3", "10.1.2.3")]
    [TestCase("10.0.0.0/8", "10.0.0.0/8")]
    [TestCase("10.0.0.0/255.0.0.0", "10.0.0.0/255.0.0.0")]
    [TestCase("fd00::/64", "fd00::/64")]
    [TestCase("[fd00::1]", "fd00::1")]
    [TestCase("[fd00::]/64", "fd00::/64")]
    public void Client_forms_of_exports_5_are_taken(string host, string canonical) => NfsHost.Validate(host).Should().Be(canonical);

    [TestCase("")]
    [TestCase("-o")]
    [TestCase("a b")]
    [TestCase("h:/x")]
    [TestCase("h,x")]
    [TestCase("@")]
    [TestCase("10.0.0.0/33")]
    [TestCase("fd00::/129")]
    [TestCase("a..b")]
    [TestCase("h(rw)")]
    public void Other_clients_are_refused(string host)
    {
        var act = () => NfsHost.Validate(host);

        act.Should().Throw<Targetd.Core.Errors.TargetdException>().Which.Code.Should().Be(Targetd.Core.Errors.TargetdErrorCode.InvalidArgument);
    }
}
