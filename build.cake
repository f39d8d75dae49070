// Targetd.NET build: dotnet tool restore && dotnet cake --target=<Target>
//   Build     compile everything (warnings are errors)
//   Test      fast unit suite (everything not in the Interop or Packaging categories)
//   Interop   slow suites that drive real tools (qemu-img, libiscsi, btrfs, ...)
//   Bench     benchmarks against peers: bench/qcow2-bench.sh (our qcow2 engine vs qemu-img bench) and
//             bench/iscsi-bench.sh (our iSCSI target vs tgtd), bench/rbd-bench.sh (targetd's RBD gateway vs librbd's
//             own `rbd bench` on a one-node Ceph cluster), --bench-runs=N; then BenchmarkDotNet (--bench-filter=..., or --skip-benchmarkdotnet)
//   Pack      one NuGet package (and symbol package) per library into artifacts/packages; packed twice to prove
//             the bytes repeat, then the Packaging tests check symbols, paths and metadata
//   Samples   Pack, then build samples/ against the packages alone (own restore under artifacts/samples) and run
//             them with checks (samples/check-samples.sh: libiscsi with CHAP, qemu-img, the pool's listing)
//   Fuzz      every harness of Targetd.Fuzz under AFL++ (Targetd.Fuzz/fuzz.sh) for --fuzz-seconds=N each (default 60);
//             fails when one saves a crash or a hang
//   Default   Build + Test

var target = Argument("target", "Default");
var configuration = Argument("configuration", "Release");
var benchFilter = Argument("bench-filter", "*");
var benchRuns = Argument("bench-runs", 5);
var skipBenchmarkDotNet = HasArgument("skip-benchmarkdotnet");
var fuzzSeconds = Argument("fuzz-seconds", 60);
var fuzzHarnesses = new[] { "framer", "login", "session", "qcow2", "jsonrpc", "qcow2target", "config" };
var solution = "./Targetd.slnx";
var artifacts = Directory("./artifacts");
var testResults = artifacts + Directory("test-results");
var libraries = new[] { "Targetd.Core", "Targetd.Qcow2", "Targetd.Iscsi", "Targetd.Storage" };
var packages = artifacts + Directory("packages");

DotNetTestSettings TestSettings(string filter, string resultsName) => new DotNetTestSettings
{
    Configuration = configuration,
    NoBuild = true,
    NoRestore = true,
    Filter = filter,
    ResultsDirectory = testResults,
    Loggers = new[] { $"trx;LogFileName={resultsName}.trx", "console;verbosity=normal" },
    ArgumentCustomization = args => args.Append("--blame-hang-timeout").Append("10m"),
};

/// <summary>
/// The time every entry of a package is stamped with, in seconds since 1970: SOURCE_DATE_EPOCH when set, else the
/// time of the commit being built, else a fixed date, so the same sources always pack to the same bytes.
/// </summary>
string PackageTimestamp()
{
    if (EnvironmentVariable("SOURCE_DATE_EPOCH") is { Length: > 0 } epoch)
    {
        return epoch;
    }

    var git = new ProcessSettings { Arguments = "log -1 --format=%ct", RedirectStandardOutput = true, Silent = true };
    try
    {
        if (StartProcess("git", git, out var lines) == 0 && lines.FirstOrDefault() is { Length: > 0 } commitTime)
        {
            return commitTime;
        }
    }
    catch (Exception ex)
    {
        Warning($"git is not available ({ex.Message}): packages are stamped with a fixed date");
    }

    return "1704067200"; // 2024-01-01T00:00:00Z
}

void PackLibraries(ConvertableDirectoryPath output)
{
    CleanDirectory(output);
    string timestamp = PackageTimestamp();
    foreach (var library in libraries)
    {
        DotNetPack($"./{library}/{library}.csproj", new DotNetPackSettings
        {
            Configuration = configuration,
            NoBuild = true,
            NoRestore = true,
            OutputDirectory = output,
            MSBuildSettings = new DotNetMSBuildSettings().WithProperty("DeterministicTimestamp", timestamp),
        });
    }
}

Task("Clean")
    .Does(() =>
{
    CleanDirectory(artifacts);
    DotNetClean(solution, new DotNetCleanSettings { Configuration = configuration });
});

Task("Restore")
    .Does(() => DotNetRestore(solution));

Task("Build")
    .IsDependentOn("Restore")
    .Does(() =>
{
    DotNetBuild(solution, new DotNetBuildSettings
    {
        Configuration = configuration,
        NoRestore = true,
        MSBuildSettings = new DotNetMSBuildSettings().WithProperty("ContinuousIntegrationBuild", "true"),
    });
});

Task("Test")
    .IsDependentOn("Build")
    .Does(() =>
{
    DotNetTest("./Targetd.Tests/Targetd.Tests.csproj", TestSettings("TestCategory!=Interop&TestCategory!=Packaging", "unit"));
});

Task("Interop")
    .IsDependentOn("Build")
    .Does(() =>
{
    DotNetTest("./Targetd.Tests/Targetd.Tests.csproj", TestSettings("TestCategory=Interop&TestCategory!=KernelGuest", "interop"));
});

Task("KernelGuest")
    .IsDependentOn("Build")
    .Does(() =>
{
    // Real LVM, kernel nfsd, Linux's initiator and dm-multipath in a Debian guest under QEMU (kernel-guest/guest.sh):
    // built once into a cache folder kept between runs, booted once for the whole category.
    DotNetTest("./Targetd.Tests/Targetd.Tests.csproj", TestSettings("TestCategory=KernelGuest", "kernel-guest"));
});

Task("Bench")
    .IsDependentOn("Build")
    .Does(() =>
{
    // Our qcow2 engine against qemu-img bench (bench/qcow2-bench.sh), then our iSCSI target against tgtd with
    // qemu-img bench over iscsi:// (bench/iscsi-bench.sh): identical flags, alternated run by run; then 4K random
    // I/O through targetd's RBD gateway against `rbd bench` on the same cluster (bench/rbd-bench.sh).
    foreach (var script in new[] { "./bench/qcow2-bench.sh", "./bench/iscsi-bench.sh", "./bench/rbd-bench.sh" })
    {
        int exitCode = StartProcess("bash", new ProcessSettings
        {
            Arguments = new ProcessArgumentBuilder().AppendQuoted(MakeAbsolute(File(script)).FullPath).Append(benchRuns.ToString()),
            EnvironmentVariables = new Dictionary<string, string>
            {
                ["QCOW2TARGET"] = $"dotnet {MakeAbsolute(File($"./Targetd.Host.Socket/bin/{configuration}/net10.0/qcow2target.dll")).FullPath}",
                ["TARGETD"] = $"dotnet {MakeAbsolute(File($"./Targetd.Host.Http/bin/{configuration}/net10.0/targetd.dll")).FullPath}",
            },
        });
        if (exitCode != 0)
        {
            throw new Exception($"{script} failed with exit code {exitCode}");
        }
    }

    if (skipBenchmarkDotNet)
    {
        return;
    }

    DotNetRun("./Targetd.Benchmarks/Targetd.Benchmarks.csproj", new ProcessArgumentBuilder()
        .Append("--filter").AppendQuoted(benchFilter)
        .Append("--artifacts").AppendQuoted(MakeAbsolute(artifacts + Directory("bench")).FullPath), new DotNetRunSettings
    {
        Configuration = "Release",
        NoBuild = configuration == "Release",
        NoRestore = true,
    });
});

Task("Pack")
    .IsDependentOn("Build")
    .Does(() =>
{
    // Packed twice from the one build: the bytes must not differ (entries are stamped with the commit's time).
    var again = artifacts + Directory("packages-repack");
    PackLibraries(packages);
    PackLibraries(again);
    foreach (var package in GetFiles($"{again}/*.*nupkg"))
    {
        var first = packages + File(package.GetFilename().FullPath);
        if (!FileExists(first) || !System.IO.File.ReadAllBytes(first).AsSpan().SequenceEqual(System.IO.File.ReadAllBytes(package.FullPath)))
        {
            throw new Exception($"{package.GetFilename()} differs between two packs of the same build: packing is not deterministic");
        }
    }

    DeleteDirectory(again, new DeleteDirectorySettings { Recursive = true });

    // Symbols and assemblies hold no path of this machine; licence, readme and repository are in the metadata.
    DotNetTest("./Targetd.Tests/Targetd.Tests.csproj", TestSettings("TestCategory=Packaging", "packaging"));
});

Task("Samples")
    .IsDependentOn("Pack")
    .Does(() =>
{
    // The samples pin the version Pack produced; anything else would restore an older package or none.
    string version = XmlPeek("./Directory.Build.props", "/Project/PropertyGroup/Version");
    foreach (var library in libraries)
    {
        string pinned = XmlPeek("./samples/Directory.Packages.props", $"/Project/ItemGroup/PackageVersion[@Include='{library}']/@Version");
        if (pinned != version || !FileExists(packages + File($"{library}.{version}.nupkg")))
        {
            throw new Exception($"samples/Directory.Packages.props pins {library} {pinned}, Pack produced {version}: pin the packed version");
        }
    }

    // A clean build against the packages: bin, obj and a package folder of their own under artifacts/samples, so
    // neither an earlier build nor a package of the same version in the machine's NuGet cache is used.
    var output = artifacts + Directory("samples");
    CleanDirectory(output);
    DotNetRestore("./samples/Samples.slnx", new DotNetRestoreSettings { PackagesDirectory = output + Directory("nuget") });
    DotNetBuild("./samples/Samples.slnx", new DotNetBuildSettings { Configuration = "Release", NoRestore = true });

    // PoolDrive once more, trimmed and self-contained, as a consumer publishing for a container would: the trimmer
    // must not warn about Targetd code (Newtonsoft.Json's own warnings are its own), and the program must work.
    var trimmed = output + Directory("trimmed");
    int publishCode = StartProcess("dotnet", new ProcessSettings
    {
        Arguments = new ProcessArgumentBuilder()
            .Append("publish").AppendQuoted(MakeAbsolute(File("./samples/PoolDrive/PoolDrive.csproj")).FullPath)
            .Append("-c Release -r linux-x64 --self-contained -p:PublishTrimmed=true -p:TreatWarningsAsErrors=false")
            .Append("--packages").AppendQuoted(MakeAbsolute(output + Directory("nuget")).FullPath)
            .Append("-o").AppendQuoted(MakeAbsolute(trimmed).FullPath),
        RedirectStandardOutput = true,
    }, out var publishLines);
    var targetdWarnings = publishLines.Where(line => line.Contains("warning IL", StringComparison.Ordinal) && line.Contains("Targetd", StringComparison.Ordinal)).ToList();
    if (publishCode != 0 || targetdWarnings.Count > 0)
    {
        throw new Exception($"the trimmed PoolDrive did not publish cleanly ({publishCode}):\n{string.Join("\n", targetdWarnings.DefaultIfEmpty(string.Join("\n", publishLines)))}");
    }

    // Run them against real tools: iscsi-inq / iscsi-ls with CHAP, qemu-img convert + sha256sum, the pool's listing.
    int exitCode = StartProcess("bash", new ProcessSettings
    {
        Arguments = new ProcessArgumentBuilder()
            .AppendQuoted(MakeAbsolute(File("./samples/check-samples.sh")).FullPath)
            .AppendQuoted(MakeAbsolute(output + Directory("bin")).FullPath)
            .AppendQuoted(MakeAbsolute(trimmed + File("PoolDrive")).FullPath),
    });
    if (exitCode != 0)
    {
        throw new Exception($"samples/check-samples.sh failed with exit code {exitCode}");
    }
});

Task("Fuzz")
    .IsDependentOn("Build")
    .Does(() =>
{
    // Each harness in turn (they share the machine's cores); every one runs even when an earlier one found something.
    var failed = new List<string>();
    foreach (var harness in fuzzHarnesses)
    {
        int exitCode = StartProcess("bash", new ProcessSettings
        {
            Arguments = new ProcessArgumentBuilder()
                .AppendQuoted(MakeAbsolute(File("./Targetd.Fuzz/fuzz.sh")).FullPath)
                .Append(harness)
                .Append(fuzzSeconds.ToString()),
        });
        if (exitCode != 0)
        {
            failed.Add(harness);
        }
    }

    if (failed.Count > 0)
    {
        throw new Exception($"fuzzing found crashes or hangs (or could not run) in: {string.Join(", ", failed)}; inputs under artifacts/fuzz/<harness>/out/default");
    }
});

Task("Default")
    .IsDependentOn("Build")
    .IsDependentOn("Test");

RunTarget(target);
