using Targetd.Storage.Errors;

namespace Targetd.Tests.Storage.Lvm;

internal static class LvmAssertions
{
    public static async Task<StorageException> Refusal(Func<Task> action, StorageErrorKind kind)
    {
        var thrown = await action.Should().ThrowAsync<StorageException>();
        thrown.Which.Kind.Should().Be(kind);
        return thrown.Which;
    }
}
