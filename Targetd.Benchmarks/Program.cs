using BenchmarkDotNet.Running;

BenchmarkSwitcher.FromAssembly(typeof(Targetd.Benchmarks.BlockDeviceBenchmarks).Assembly).Run(args);
