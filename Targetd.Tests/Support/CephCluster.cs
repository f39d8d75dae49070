using System.Globalization;

namespace Targetd.Tests.Support;

/// <summary>
/// A one-node Ceph cluster on 127.0.0.1 from the shared <c>ceph/ceph-single-node.sh</c>, in a private folder on
/// a free monitor port, with the pool "rbd" ready for RBD.
/// </summary>
internal sealed class CephCluster
{
    public const string Pool = "rbd";

    private readonly string _script;

    private CephCluster(string script, string directory, int monitorPort)
    {
        _script = script;
        Directory = directory;
        MonitorPort = monitorPort;
    }

    public string Directory { get; }

    public int MonitorPort { get; }

    public string ConfPath => Path.Combine(Directory, "ceph.conf");

    /// <summary>Starts a new cluster; ignores the calling test when Ceph is not installed.</summary>
    public static async Task<CephCluster> StartAsync()
    {
        string script = Path.Combine(ExternalTool.SharedDirectory, "ceph", "ceph-single-node.sh");
        if (!File.Exists(script))
        {
            Prerequisite.Missing($"{script} is missing.");
        }

        foreach (string program in new[] { "ceph-mon", "ceph-mgr", "ceph-osd", "ceph", "rbd" })
        {
            ExternalTool.Require(program);
        }

        if (!File.Exists("/usr/lib/x86_64-linux-gnu/librbd.so.1") && !File.Exists("/usr/lib/aarch64-linux-gnu/librbd.so.1"))
        {
            Prerequisite.Missing("librbd.so.1 is not installed (Debian package librbd1).");
        }

        string directory = System.IO.Directory.CreateTempSubdirectory("targetd-ceph-").FullName;
        var cluster = new CephCluster(script, directory, Qcow2TargetDaemon.FreePort());
        var start = await cluster.ScriptAsync("start");
        if (start.ExitCode != 0)
        {
            await cluster.StopAsync();
            Assert.Fail($"the Ceph cluster did not start: {start.StandardError}");
        }

        return cluster;
    }

    /// <summary>Stops the daemons and removes the folder.</summary>
    public async Task StopAsync() => await ScriptAsync("purge");

    /// <summary>Runs the rbd tool against the cluster and returns its standard output.</summary>
    public Task<string> RbdAsync(params string[] arguments) =>
        ExternalTool.RunOkAsync("rbd", ["--conf", ConfPath, "--pool", Pool, .. arguments]);

    /// <summary>An image's size and id as <c>rbd info</c> reports them.</summary>
    public async Task<(long Size, string Id)> InfoAsync(string image)
    {
        var info = Newtonsoft.Json.Linq.JObject.Parse(await RbdAsync("info", "--format", "json", image));
        return (info.Value<long>("size"), info.Value<string>("id")!);
    }

    private Task<Targetd.Core.Processes.ProcessResult> ScriptAsync(string action) =>
        ExternalTool.RunAsync(
            "env",
            $"CEPH_DIR={Directory}",
            string.Create(CultureInfo.InvariantCulture, $"CEPH_MON_PORT={MonitorPort}"),
            "bash",
            _script,
            action);
}
