// Targetd.NET build: dotnet tool restore && dotnet cake --target=<Target>
//   Build     compile everything (warnings are errors)
//   Test      fast unit suite (everything not in the Interop category)
//   Interop   slow suites that drive real tools (qemu-img, libiscsi, btrfs, ...)
//   Bench     benchmarks against peers: bench/qcow2-bench.sh (our qcow2 engine vs qemu-img bench) and
//             bench/iscsi-bench.sh (our iSCSI target vs tgtd), bench/rbd-bench.sh (targetd's RBD gateway vs librbd's
//             own `rbd bench` on a one-node Ceph cluster), --bench-runs=N; then BenchmarkDotNet (--bench-filter=..., or --skip-benchmarkdotnet)
//   Pack      one NuGet package per library into artifacts/packages
//   Default   Build + Test

var target = Argument("target", "Default");
var configuration = Argument("configuration", "Release");
var benchFilter = Argument("bench-filter", "*");
var benchRuns = Argument("bench-runs", 5);
var skipBenchmarkDotNet = HasArgument("skip-benchmarkdotnet");
var solution = "./Targetd.slnx";
var artifacts = Directory("./artifacts");
var testResults = artifacts + Directory("test-results");
var libraries = new[] { "Targetd.Core", "Targetd.Qcow2", "Targetd.Iscsi", "Targetd.Storage" };

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
    DotNetTest("./Targetd.Tests/Targetd.Tests.csproj", TestSettings("TestCategory!=Interop", "unit"));
});

Task("Interop")
    .IsDependentOn("Build")
    .Does(() =>
{
    DotNetTest("./Targetd.Tests/Targetd.Tests.csproj", TestSettings("TestCategory=Interop", "interop"));
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
    foreach (var library in libraries)
    {
        DotNetPack($"./{library}/{library}.csproj", new DotNetPackSettings
        {
            Configuration = configuration,
            NoBuild = true,
            NoRestore = true,
            OutputDirectory = artifacts + Directory("packages"),
        });
    }
});

Task("Default")
    .IsDependentOn("Build")
    .IsDependentOn("Test");

RunTarget(target);
