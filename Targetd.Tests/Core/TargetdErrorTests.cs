using Targetd.Core.Errors;

namespace Targetd.Tests.Core;

public sealed class TargetdErrorTests
{
    [TestCase(TargetdErrorCode.Invalid, -1)]
    [TestCase(TargetdErrorCode.NameConflict, -50)]
    [TestCase(TargetdErrorCode.ExistsCloneName, -51)]
    [TestCase(TargetdErrorCode.ExistsInitiator, -52)]
    [TestCase(TargetdErrorCode.ExistsFsName, -53)]
    [TestCase(TargetdErrorCode.NotFoundVolume, -103)]
    [TestCase(TargetdErrorCode.NotFoundFs, -104)]
    [TestCase(TargetdErrorCode.InvalidPool, -110)]
    [TestCase(TargetdErrorCode.NotFoundSnapshot, -112)]
    [TestCase(TargetdErrorCode.NotFoundVolumeExport, -151)]
    [TestCase(TargetdErrorCode.NotFoundVolumeGroup, -152)]
    [TestCase(TargetdErrorCode.NoSupport, -153)]
    [TestCase(TargetdErrorCode.NotFoundAccessGroup, -200)]
    [TestCase(TargetdErrorCode.UnexpectedExitCode, -303)]
    [TestCase(TargetdErrorCode.VolumeMasked, -303)]
    [TestCase(TargetdErrorCode.NotFoundNfsExport, -400)]
    [TestCase(TargetdErrorCode.NfsNoSupport, -401)]
    [TestCase(TargetdErrorCode.NoFreeHostLunId, -1000)]
    [TestCase(TargetdErrorCode.InvalidRequest, -32600)]
    [TestCase(TargetdErrorCode.MethodNotFound, -32601)]
    [TestCase(TargetdErrorCode.InvalidArgument, -32602)]
    [TestCase(TargetdErrorCode.InternalError, -32603)]
    [TestCase(TargetdErrorCode.ParseError, -32700)]
    public void Codes_keep_targetds_numeric_values(TargetdErrorCode code, int value) =>
        ((int)code).Should().Be(value);

    [Test]
    public void Domain_errors_carry_targetds_codes_and_messages()
    {
        TargetdErrors.VolumeNameExists().Should().Match<TargetdException>(e => e.Code == TargetdErrorCode.NameConflict && e.Message == "Volume with that name exists");
        TargetdErrors.VolumeNotFound("v1", "vg/thin").Message.Should().Be("Volume v1 not found in pool vg/thin");
        TargetdErrors.InvalidPool("nope").Should().Match<TargetdException>(e => e.Code == TargetdErrorCode.InvalidPool && e.Message == "Invalid pool (nope)");
        TargetdErrors.VolumeExported("v1").Should().Match<TargetdException>(e => (int)e.Code == -303 && e.Message == "Volume 'v1' cannot be removed while exported");
        TargetdErrors.SizeNotLarger(1024, "v1", "p").Message.Should().Be("Size 1024 need a larger than size in original volume v1 in pool p");
        TargetdErrors.NoFreeHostLunId(255).Should().Match<TargetdException>(e => (int)e.Code == -1000 && e.Message == "All host LUN ID 0 ~ 255 is in use");
        TargetdErrors.NfsExportNotFound("*", "/srv").Should().Match<TargetdException>(e => (int)e.Code == -400 && e.Message == "NFS export to remove not found *:/srv");
        TargetdErrors.OnlyIscsi().Code.Should().Be(TargetdErrorCode.NoSupport);
    }
}
