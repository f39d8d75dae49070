using System.IO.Compression;
using System.Xml.Linq;
using Targetd.Tests.Support;

namespace Targetd.Tests.Packaging;

/// <summary>
/// One library as <c>dotnet cake --target=Pack</c> left it in <c>artifacts/packages</c> (or the folder named by
/// <c>TARGETD_PACKAGES</c>): its .nupkg and .snupkg, read as an outside consumer gets them.
/// </summary>
/// <param name="Name">The library's package id.</param>
/// <param name="PackagePath">Its .nupkg.</param>
/// <param name="SymbolsPath">Its .snupkg.</param>
internal sealed record PackedLibrary(string Name, string PackagePath, string SymbolsPath)
{
    public static readonly string[] Names = ["Targetd.Core", "Targetd.Qcow2", "Targetd.Iscsi", "Targetd.Storage"];

    public static string Folder =>
        Environment.GetEnvironmentVariable("TARGETD_PACKAGES") is { Length: > 0 } folder
            ? folder
            : Path.Combine(RepositoryRoot.Path, "artifacts", "packages");

    /// <summary>The packed library, or the test is skipped (failed under CI) when Pack has not run.</summary>
    public static PackedLibrary Find(string name)
    {
        var packages = Directory.Exists(Folder)
            ? Directory.GetFiles(Folder, name + ".*.nupkg").Where(p => IsVersionOf(name, p)).ToList()
            : [];
        if (packages.Count != 1)
        {
            Prerequisite.Missing($"{Folder} holds {packages.Count} packages of {name} (run dotnet cake --target=Pack)");
        }

        string symbols = Path.ChangeExtension(packages[0], ".snupkg");
        File.Exists(symbols).Should().BeTrue($"{name} is packed with a symbol package beside {packages[0]}");
        return new PackedLibrary(name, packages[0], symbols);
    }

    /// <summary>The package's nuspec, without its namespace.</summary>
    public XElement Nuspec()
    {
        using var zip = ZipFile.OpenRead(PackagePath);
        using var stream = zip.GetEntry(Name + ".nuspec")!.Open();
        var root = XElement.Load(stream);
        foreach (var element in root.DescendantsAndSelf())
        {
            element.Name = element.Name.LocalName;
        }

        return root;
    }

    /// <summary>The bytes of one entry of the package (or of the symbol package); null when it has none.</summary>
    public byte[]? Entry(string entryName, bool symbols = false)
    {
        using var zip = ZipFile.OpenRead(symbols ? SymbolsPath : PackagePath);
        var entry = zip.GetEntry(entryName);
        if (entry is null)
        {
            return null;
        }

        using var stream = entry.Open();
        using var bytes = new MemoryStream();
        stream.CopyTo(bytes);
        return bytes.ToArray();
    }

    /// <summary>The names of the entries of the package (or of the symbol package).</summary>
    public IReadOnlyList<string> Entries(bool symbols = false)
    {
        using var zip = ZipFile.OpenRead(symbols ? SymbolsPath : PackagePath);
        return [.. zip.Entries.Select(e => e.FullName)];
    }

    /// <summary>Targetd.Core.0.1.0.nupkg for Targetd.Core, but not Targetd.Core.Extra.0.1.0.nupkg.</summary>
    private static bool IsVersionOf(string name, string path)
    {
        string rest = Path.GetFileNameWithoutExtension(path)[(name.Length + 1)..];
        return rest.Length > 0 && char.IsAsciiDigit(rest[0]);
    }
}
