namespace Targetd.Tests.Support;

/// <summary>Waits for a condition that another thread makes true soon (a share given back after a response has left).</summary>
internal static class Eventually
{
    /// <summary>Polls <paramref name="condition"/> for up to 5 s, then asserts it.</summary>
    public static async Task TrueAsync(Func<bool> condition)
    {
        for (int i = 0; i < 1000 && !condition(); i++)
        {
            await Task.Delay(5);
        }

        condition().Should().BeTrue();
    }
}
