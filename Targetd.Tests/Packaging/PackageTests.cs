using System.Collections.Immutable;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Text;
using System.Xml.Linq;
using Targetd.Tests.Support;

namespace Targetd.Tests.Packaging;

/// <summary>
/// The packages <c>dotnet cake --target=Pack</c> produced, as a consumer of NuGet meets them: symbols and
/// assemblies that name no folder of the machine they were built on, sources carried in the symbols, and the
/// metadata a package page shows. The Pack task runs these after packing.
/// </summary>
[Category("Packaging")]
public sealed class PackageTests
{
    /// <summary>Custom debug information of a document whose source text the PDB carries (Portable PDB spec).</summary>
    private static readonly Guid EmbeddedSource = new("0E8A571B-6926-466E-B4AD-8AB04611F5FE");

    private static IEnumerable<string> Libraries => PackedLibrary.Names;

    [TestCaseSource(nameof(Libraries))]
    public void The_symbols_name_no_build_folder_and_carry_the_sources(string name)
    {
        var library = PackedLibrary.Find(name);
        string pdbEntry = library.Entries(symbols: true).Single(e => e.EndsWith(".pdb", StringComparison.Ordinal));
        byte[] pdb = library.Entry(pdbEntry, symbols: true)!;

        ContainsBuildFolder(pdb).Should().BeFalse($"{pdbEntry} of {library.SymbolsPath} must not hold {RepositoryRoot.Path}");
        using var provider = MetadataReaderProvider.FromPortablePdbImage(ImmutableArray.Create(pdb));
        var reader = provider.GetMetadataReader();
        var documents = reader.Documents.Select(reader.GetDocument).ToList();
        documents.Should().NotBeEmpty();
        foreach (var document in documents)
        {
            string path = reader.GetString(document.Name);
            path.Should().StartWith("/_/", "source paths are mapped to the deterministic root");
            path.Should().NotContain(RepositoryRoot.Path);
        }

        var embedded = reader.CustomDebugInformation
            .Select(reader.GetCustomDebugInformation)
            .Where(info => info.Parent.Kind == HandleKind.Document && reader.GetGuid(info.Kind) == EmbeddedSource)
            .Select(info => reader.GetString(reader.GetDocument((DocumentHandle)info.Parent).Name))
            .ToList();
        embedded.Should().Contain(path => path.EndsWith(".cs", StringComparison.Ordinal) && !path.Contains("/obj/", StringComparison.Ordinal),
            "the symbols carry the library's own sources");
    }

    [TestCaseSource(nameof(Libraries))]
    public void The_assembly_points_at_its_symbols_by_a_mapped_path(string name)
    {
        var library = PackedLibrary.Find(name);
        string dllEntry = library.Entries().Single(e => e.EndsWith($"/{name}.dll", StringComparison.Ordinal));
        byte[] dll = library.Entry(dllEntry)!;

        ContainsBuildFolder(dll).Should().BeFalse($"{dllEntry} of {library.PackagePath} must not hold {RepositoryRoot.Path}");
        using var pe = new PEReader(new MemoryStream(dll));
        var codeView = pe.ReadDebugDirectory().Single(entry => entry.Type == DebugDirectoryEntryType.CodeView);
        pe.ReadCodeViewDebugDirectoryData(codeView).Path.Should().StartWith("/_/").And.EndWith($"/{name}.pdb");
        pe.ReadDebugDirectory().Should().Contain(entry => entry.Type == DebugDirectoryEntryType.Reproducible, "the build is deterministic");
    }

    [TestCaseSource(nameof(Libraries))]
    public void The_metadata_names_authors_licence_readme_and_repository(string name)
    {
        var library = PackedLibrary.Find(name);
        var metadata = library.Nuspec().Element("metadata")!;

        metadata.Element("authors")!.Value.Should().NotBeNullOrWhiteSpace();
        metadata.Element("description")!.Value.Should().NotBeNullOrWhiteSpace();
        var license = metadata.Element("license")!;
        license.Attribute("type")!.Value.Should().Be("expression");
        string licenseHeading = File.ReadLines(Path.Combine(RepositoryRoot.Path, "LICENSE")).First();
        licenseHeading.Should().Be($"{license.Value} License", "the licence expression is the one LICENSE states");

        string readme = Path.Combine(RepositoryRoot.Path, name, "README.md");
        if (File.Exists(readme))
        {
            metadata.Element("readme")!.Value.Should().Be("README.md");
            library.Entry("README.md").Should().Equal(File.ReadAllBytes(readme));
        }

        if (ConfiguredRepositoryUrl() is { } url)
        {
            metadata.Element("repository")!.Attribute("url")!.Value.Should().Be(url);
        }
    }

    private static bool ContainsBuildFolder(byte[] bytes) =>
        bytes.AsSpan().IndexOf(Encoding.UTF8.GetBytes(RepositoryRoot.Path)) >= 0
        || bytes.AsSpan().IndexOf(Encoding.Unicode.GetBytes(RepositoryRoot.Path)) >= 0;

    private static string? ConfiguredRepositoryUrl() =>
        XDocument.Load(Path.Combine(RepositoryRoot.Path, "Directory.Build.props")).Descendants("RepositoryUrl").FirstOrDefault()?.Value;
}
