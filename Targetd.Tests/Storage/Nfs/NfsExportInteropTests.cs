using Targetd.Core.Processes;
using Targetd.Storage.Errors;
using Targetd.Storage.Nfs;
using Targetd.Tests.Support;

namespace Targetd.Tests.Storage.Nfs;

/// <summary>
/// NFS exports through the real <c>exportfs</c> of nfs-kernel-server, with a temporary exports file. Every export
/// made here is of a temporary folder and is removed again.
/// </summary>
[Category("Interop")]
[NonParallelizable]
[CancelAfter(120_000)]
public sealed class NfsExportInteropTests
{
    private DirectoryInfo _folder = null!;
    private string _share = null!;
    private NfsExportService _service = null!;

    [SetUp]
    public async Task SetUp()
    {
        _service = null!;
        ExternalTool.Require("exportfs");
        if (Environment.UserName != "root")
        {
            Prerequisite.Missing($"exportfs changes the export table only as root; running as {Environment.UserName}.");
        }

        var probe = await ExternalTool.RunAsync("exportfs", "-v");
        if (!probe.Succeeded)
        {
            Prerequisite.Missing($"exportfs does not run here: {probe.StandardError.Trim()}");
        }

        _folder = Directory.CreateTempSubdirectory("targetd-nfs-interop-");
        _share = Directory.CreateDirectory(Path.Combine(_folder.FullName, "share")).FullName;
        var trial = await ExternalTool.RunAsync("exportfs", "-o", "ro", $"127.0.0.1:{_share}");
        await ExternalTool.RunAsync("exportfs", "-u", $"127.0.0.1:{_share}");
        if (!trial.Succeeded)
        {
            _folder.Delete(recursive: true);
            Prerequisite.Missing($"exportfs cannot change the export table here: {trial.StandardError.Trim()}");
        }

        _service = new NfsExportService(new ProcessRunner(), new ExportsFile(Path.Combine(_folder.FullName, "exports.d", "targetd.exports")));
    }

    [TearDown]
    public async Task TearDown()
    {
        if (_service is null)
        {
            return;
        }

        foreach (var export in (await _service.ListAsync()).Where(e => e.Path.StartsWith(_folder.FullName, StringComparison.Ordinal)))
        {
            await ExternalTool.RunAsync("exportfs", "-u", $"{NfsHost.CommandLineForm(export.Host)}:{export.Path}");
        }

        _folder.Delete(recursive: true);
    }

    private async Task<List<NfsExport>> OursAsync() => [.. (await _service.ListAsync()).Where(e => e.Path == _share)];

    [Test]
    public async Task Exports_are_added_listed_kept_and_removed()
    {
        await _service.AddAsync("127.0.0.1", _share, ["rw", "no_root_squash"], null);
        await _service.AddAsync("*", _share, ["ro", "sec=sys:krb5"], null);

        var listed = await OursAsync();
        string[] kept = [.. File.ReadAllLines(_service.File.Path).Where(l => !l.StartsWith('#'))];

        listed.Select(e => e.Host).Should().BeEquivalentTo("127.0.0.1", "*");
        // "secure" leads when exportfs finds kernel nfsd (its export_features), as on an NFS server; not without it.
        listed.Single(e => e.Host == "127.0.0.1").Options.SkipWhile(o => o == "secure").Should().StartWith(["rw", "sync", "no_subtree_check"]).And.Contain("no_root_squash").And.Contain("sec=sys");
        listed.Single(e => e.Host == "*").Options.Should().Contain("ro").And.Contain("sec=sys:krb5");
        kept.Should().Equal($"{_share} 127.0.0.1(rw,no_root_squash,no_subtree_check)", $"{_share} *(ro,sec=sys:krb5,no_subtree_check)");

        await _service.AddAsync("127.0.0.1", _share, ["ro"], null);
        var replaced = (await OursAsync()).Single(e => e.Host == "127.0.0.1");
        replaced.Options.Should().Contain("ro").And.NotContain("rw").And.Contain("root_squash");
        File.ReadAllLines(_service.File.Path).Should().ContainSingle(l => l.Contains("127.0.0.1", StringComparison.Ordinal)).Which.Should().Be($"{_share} 127.0.0.1(ro,no_subtree_check)");

        await _service.RemoveAsync("127.0.0.1", _share);
        await _service.RemoveAsync("*", _share);
        var again = () => _service.RemoveAsync("*", _share);

        (await OursAsync()).Should().BeEmpty();
        File.ReadAllLines(_service.File.Path).Where(l => !l.StartsWith('#')).Should().BeEmpty();
        (await again.Should().ThrowAsync<StorageException>()).Which.Kind.Should().Be(StorageErrorKind.NfsExportNotFound);
    }

    [Test]
    public async Task Every_option_and_client_form_the_checks_accept_is_accepted_by_exportfs()
    {
        string[] options =
        [
            .. NfsOptions.ListedFlags, "subtree_check", "secure_locks", "auth_nlm", "no_auth_nlm", "nocrossmnt", "mountpoint", "mp", "pnfs",
            "no_pnfs", "security_label", "acl", "no_acl", "nordirplus", "mountpoint=/srv", "mp=/srv", "fsid=7", "fsid=root",
            "fsid=7c0b3f1c-1111-2222-3333-444455556666", "refer=/a@h1+h2", "replicas=/b@h3", "anonuid=-1", "anongid=65534", "sec=sys:krb5:krb5i:krb5p",
        ];
        string[] hosts = ["client.example.com", "*.example.com", "h?st.example.com", "@netgroup", "10.1.2.3", "10.0.0.0/8", "10.0.0.0/255.0.0.0", "fd00::/64", "[fe80::1]"];
        var refused = new List<string>();

        foreach (string option in options)
        {
            await TryAsync("127.0.0.1", option, refused);
        }

        foreach (string host in hosts)
        {
            await TryAsync(host, "ro", refused);
        }

        refused.Should().BeEmpty();
        (await OursAsync()).Should().BeEmpty();
    }

    private async Task TryAsync(string host, string option, List<string> refused)
    {
        try
        {
            await _service.AddAsync(host, _share, [option], null);
            await _service.RemoveAsync(NfsHost.Validate(host), _share);
        }
        catch (StorageException ex)
        {
            refused.Add($"{host} {option}: {ex.Message}");
        }
    }
}
