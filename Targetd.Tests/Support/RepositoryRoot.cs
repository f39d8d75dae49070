namespace Targetd.Tests.Support;

/// <summary>The checkout the tests were built from: the folder holding Targetd.slnx.</summary>
internal static class RepositoryRoot
{
    public static string Path
    {
        get
        {
            var directory = new DirectoryInfo(TestContext.CurrentContext.TestDirectory);
            while (directory is not null && !File.Exists(System.IO.Path.Combine(directory.FullName, "Targetd.slnx")))
            {
                directory = directory.Parent;
            }

            return directory?.FullName ?? throw new InvalidOperationException("the tests do not run inside a checkout");
        }
    }
}
