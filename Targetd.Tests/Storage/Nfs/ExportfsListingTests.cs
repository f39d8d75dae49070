using Targetd.Storage.Errors;
using Targetd.Storage.Nfs;

namespace Targetd.Tests.Storage.Nfs;

/// <summary>Reading <c>exportfs -v</c> as nfs-utils 2.6 prints it on a server with kernel nfsd, and the exports(5) client forms.</summary>
public sealed class ExportfsListingTests
{
    [Test]
    public void Short_and_wrapped_lines_world_and_spaces_are_read()
    {
        // Recorded from nfs-utils 2.6.2 with kernel nfsd (Debian 12 guest): paths padded to 14 columns and a tab, or
        // a longer path alone with the client on the next line after two tabs; "secure"/"insecure" follow rw/ro.
        const string output = "/srv/fs-pool/a\t127.0.0.1(sync,wdelay,hide,no_subtree_check,sec=sys,rw,secure,no_root_squash,no_all_squash)\n"
            + "/srv/ex       \t10.0.2.0/24(sync,wdelay,hide,no_subtree_check,sec=sys:krb5,ro,insecure,root_squash,no_all_squash)\n"
            + "/srv/e 2      \t10.1.1.1(sync,wdelay,hide,no_subtree_check,sec=sys,ro,secure,root_squash,no_all_squash)\n"
            + "/srv/a/long/exported/path\n\t\th?st(sync,wdelay,hide,no_subtree_check,insecure_locks,fsid=0,sec=krb5p:sys,ro,secure,root_squash,no_all_squash)\n"
            + "/srv/b        \t@grp(async,no_wdelay,nohide,crossmnt,insecure_locks,nordirplus,security_label,no_acl,pnfs,fsid=7,mountpoint,sec=sys,ro,secure,root_squash,no_all_squash)\n"
            + "/srv/c        \tfd00::/64(sync,wdelay,hide,no_subtree_check,mountpoint=/srv,anonuid=-1,replicas=/y@h2,sec=sys,ro,secure,root_squash,no_all_squash)\n"
            + "/srv/d        \tfe80::1(sync,wdelay,hide,no_subtree_check,sec=sys,ro,secure,root_squash,no_all_squash)\n"
            + "/srv/fs-pool/a\t<world>(sync,wdelay,hide,no_subtree_check,anonuid=1234,anongid=1234,sec=sys,ro,secure,root_squash,all_squash)\n";

        var exports = ExportfsListing.Parse(output);

        exports.Select(e => (e.Host, e.Path)).Should().Equal(
            ("127.0.0.1", "/srv/fs-pool/a"), ("10.0.2.0/24", "/srv/ex"), ("10.1.1.1", "/srv/e 2"), ("h?st", "/srv/a/long/exported/path"),
            ("@grp", "/srv/b"), ("fd00::/64", "/srv/c"), ("fe80::1", "/srv/d"), ("*", "/srv/fs-pool/a"));
        exports[0].Options.Should().Equal("secure", "rw", "sync", "no_subtree_check", "wdelay", "hide", "no_root_squash", "no_all_squash", "sec=sys");
        exports[1].Options.Should().Equal("ro", "sync", "no_subtree_check", "root_squash", "wdelay", "hide", "insecure", "no_all_squash", "sec=sys:krb5");
        exports[4].Options.Should().Equal(
            "secure", "ro", "async", "no_wdelay", "nohide", "crossmnt", "insecure_locks", "root_squash", "no_all_squash",
            "nordirplus", "security_label", "no_acl", "pnfs", "mountpoint", "fsid=7", "sec=sys");
        exports[5].Options.Should().EndWith(["mountpoint=/srv", "anonuid=-1", "replicas=/y@h2", "sec=sys"]);
        exports[7].Options.Should().Equal("secure", "ro", "sync", "no_subtree_check", "root_squash", "all_squash", "wdelay", "hide", "anonuid=1234", "anongid=1234", "sec=sys");
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

        act.Should().Throw<StorageException>().Which.Kind.Should().Be(StorageErrorKind.InvalidArgument);
    }
}
