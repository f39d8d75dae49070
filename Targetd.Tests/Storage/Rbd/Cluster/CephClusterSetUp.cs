using Targetd.Tests.Support;

namespace Targetd.Tests.Storage.Rbd.Cluster;

/// <summary>One Ceph cluster for every RBD interop fixture of this namespace, purged when they are done.</summary>
[SetUpFixture]
public sealed class CephClusterSetUp
{
    private static CephCluster? _cluster;

    internal static CephCluster Cluster => _cluster ?? throw new InvalidOperationException("The Ceph cluster is not running.");

    [OneTimeSetUp]
    public async Task StartAsync() => _cluster = await CephCluster.StartAsync();

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        if (_cluster is not null)
        {
            await _cluster.StopAsync();
            _cluster = null;
        }
    }
}
