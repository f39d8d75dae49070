namespace Targetd.Tests.KernelGuest;

/// <summary>Stops the run's kernel guest once every test of the KernelGuest category has run.</summary>
[SetUpFixture]
internal sealed class KernelGuestSetup
{
    [OneTimeTearDown]
    public static async Task StopGuestAsync() => await Support.KernelGuest.StopSharedAsync();
}
