using Newtonsoft.Json.Linq;
using NSubstitute;
using NSubstitute.ExceptionExtensions;
using Targetd.Core.Errors;
using Targetd.Storage.Errors;
using Targetd.Storage.JsonRpc;
using Targetd.Storage.Pools;
using Targetd.Storage.Targetd;

namespace Targetd.Tests.Storage;

/// <summary>Storage error kinds become targetd's codes in one place, and reach clients with the adapter's message.</summary>
public sealed class StorageErrorCodesTests
{
    [TestCase(StorageErrorKind.Failed, TargetdErrorCode.Invalid)]
    [TestCase(StorageErrorKind.PoolNotFound, TargetdErrorCode.InvalidPool)]
    [TestCase(StorageErrorKind.PoolUnavailable, TargetdErrorCode.Invalid)]
    [TestCase(StorageErrorKind.VolumeNotFound, TargetdErrorCode.NotFoundVolume)]
    [TestCase(StorageErrorKind.VolumeExists, TargetdErrorCode.NameConflict)]
    [TestCase(StorageErrorKind.VolumeInUse, TargetdErrorCode.UnexpectedExitCode)]
    [TestCase(StorageErrorKind.FileSystemNotFound, TargetdErrorCode.NotFoundFs)]
    [TestCase(StorageErrorKind.FileSystemExists, TargetdErrorCode.ExistsFsName)]
    [TestCase(StorageErrorKind.SnapshotNotFound, TargetdErrorCode.NotFoundSnapshot)]
    [TestCase(StorageErrorKind.SnapshotExists, TargetdErrorCode.ExistsFsName)]
    [TestCase(StorageErrorKind.CloneExists, TargetdErrorCode.ExistsCloneName)]
    [TestCase(StorageErrorKind.HasDependents, TargetdErrorCode.Invalid)]
    [TestCase(StorageErrorKind.InvalidArgument, TargetdErrorCode.InvalidArgument)]
    [TestCase(StorageErrorKind.NotSupported, TargetdErrorCode.NoSupport)]
    [TestCase(StorageErrorKind.CommandFailed, TargetdErrorCode.UnexpectedExitCode)]
    [TestCase(StorageErrorKind.NfsExportNotFound, TargetdErrorCode.NotFoundNfsExport)]
    public void Each_kind_maps_to_targetds_code(StorageErrorKind kind, TargetdErrorCode code) =>
        StorageErrorCodes.CodeOf(kind).Should().Be(code);

    [Test]
    public void Every_kind_is_covered() =>
        Enum.GetValues<StorageErrorKind>().Should().HaveCount(16, "a new kind needs a row above and a code in StorageErrorCodes");

    [TestCase(StorageErrorKind.VolumeNotFound, "Volume v1 not found in pool vg", -103)]
    [TestCase(StorageErrorKind.VolumeExists, "Volume with that name exists", -50)]
    [TestCase(StorageErrorKind.CommandFailed, "Unexpected exit code \"['lvcreate']\" 5, out= no space", -303)]
    [TestCase(StorageErrorKind.PoolUnavailable, "RBD pool 'ceph' is unavailable: down", -1)]
    public async Task An_adapter_refusal_reaches_the_client_with_targetds_code_and_the_adapters_message(StorageErrorKind kind, string message, int code)
    {
        var pool = Substitute.For<IBlockPool>();
        pool.Name.Returns("vg");
        pool.CreateAsync("v1", 4096, Arg.Any<CancellationToken>()).ThrowsAsync(new StorageException(kind, message));
        using var rpc = new JsonRpcProcessor(new TargetdBlockMethods([pool]).Methods());

        var reply = JObject.Parse(await rpc.ProcessAsync("""{"jsonrpc":"2.0","id":7,"method":"vol_create","params":{"pool":"vg","name":"v1","size":4096}}"""));

        ((int?)reply["error"]?["code"]).Should().Be(code);
        ((string?)reply["error"]?["message"]).Should().Be(message);
        ((int?)reply["id"]).Should().Be(7);
    }
}
