using BenchmarkDotNet.Attributes;
using Targetd.Core.BlockDevices;

namespace Targetd.Benchmarks;

/// <summary>
/// 4 KiB random I/O through <see cref="FileBlockDevice"/> against the same I/O through a shared
/// <see cref="FileStream"/> guarded by a lock (the usual position-based alternative), 16 operations in flight.
/// </summary>
[MemoryDiagnoser]
public class BlockDeviceBenchmarks
{
    private const int BlockSize = 4096;
    private const int InFlight = 16;
    private const long FileLength = 64L * 1024 * 1024;

    private string _path = string.Empty;
    private FileBlockDevice? _device;
    private FileStream? _stream;
    private readonly SemaphoreSlim _streamGate = new(1, 1);
    private long[] _offsets = [];

    [GlobalSetup]
    public async Task SetupAsync()
    {
        _path = Path.Combine(Path.GetTempPath(), $"targetd-bench-{Environment.ProcessId}.img");
        File.Delete(_path);
        _device = FileBlockDevice.Create(_path, FileLength);
        var fill = new byte[1024 * 1024];
        Random.Shared.NextBytes(fill);
        for (long offset = 0; offset < FileLength; offset += fill.Length)
        {
            await _device.WriteAsync(offset, fill);
        }

        _stream = new FileStream(_path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite, 4096, FileOptions.Asynchronous);
        var random = new Random(42);
        _offsets = [.. Enumerable.Range(0, 1024).Select(_ => random.NextInt64(FileLength / BlockSize) * BlockSize)];
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        if (_device is not null)
        {
            await _device.DisposeAsync();
        }

        if (_stream is not null)
        {
            await _stream.DisposeAsync();
        }

        File.Delete(_path);
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = 1024)]
    public Task SharedFileStreamRandomRead() => RunAsync(async (offset, buffer) =>
    {
        await _streamGate.WaitAsync();
        try
        {
            _stream!.Position = offset;
            await _stream.ReadExactlyAsync(buffer);
        }
        finally
        {
            _streamGate.Release();
        }
    });

    [Benchmark(OperationsPerInvoke = 1024)]
    public Task FileBlockDeviceRandomRead() => RunAsync((offset, buffer) => _device!.ReadAsync(offset, buffer));

    private async Task RunAsync(Func<long, Memory<byte>, ValueTask> operation)
    {
        int next = -1;
        var workers = Enumerable.Range(0, InFlight).Select(async _ =>
        {
            var buffer = new byte[BlockSize];
            int index;
            while ((index = Interlocked.Increment(ref next)) < _offsets.Length)
            {
                await operation(_offsets[index], buffer);
            }
        });
        await Task.WhenAll(workers);
    }
}
