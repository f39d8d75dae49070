using Targetd.Core.Errors;

namespace Targetd.Tests.Storage.Lvm;

internal static class LvmAssertions
{
    public static async Task<TargetdException> Refusal(Func<Task> action, TargetdErrorCode code)
    {
        var thrown = await action.Should().ThrowAsync<TargetdException>();
        thrown.Which.Code.Should().Be(code);
        return thrown.Which;
    }
}
