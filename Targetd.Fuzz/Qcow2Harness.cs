using Targetd.Qcow2;

namespace Targetd.Fuzz;

/// <summary>
/// A qcow2 image from arbitrary bytes, written to a temporary file in a folder of its own: opened read-only (its
/// backing file not followed) and its first MiBs read; then opened read-write with its backing chain confined to
/// that folder (so a chain that names itself, loops or leaves the folder is exercised), written, discarded,
/// flushed and checked. A refusal is a <see cref="Qcow2FormatException"/>, a <see cref="Qcow2ChainException"/>, an
/// <see cref="IOException"/> or an <see cref="InvalidDataException"/>.
/// </summary>
internal static class Qcow2Harness
{
    private const int ReadBytes = 4 << 20;
    private static readonly string Folder = Directory.CreateDirectory(Path.Combine(
        Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath(), $"targetd-fuzz-{Environment.ProcessId}")).FullName;

    private static readonly string ImagePath = Path.Combine(Folder, "image.qcow2");

    public static void Run(Stream stream)
    {
        File.WriteAllBytes(ImagePath, FuzzInput.ReadAll(stream));
        try
        {
            ReadAsync().GetAwaiter().GetResult();
        }
        catch (Exception ex) when (IsRefusal(ex))
        {
            // a refused image (ImageInUseException and FileNotFoundException are IOExceptions)
        }

        try
        {
            WriteAsync().GetAwaiter().GetResult();
        }
        catch (Exception ex) when (IsRefusal(ex))
        {
            // refused for writing
        }
    }

    private static bool IsRefusal(Exception ex) => ex is Qcow2FormatException or Qcow2ChainException or IOException or InvalidDataException;

    private static async Task ReadAsync()
    {
        var options = new Qcow2OpenOptions { ReadOnly = true, OpenBackingFile = false, Lock = false, MetadataCacheBytes = 1 << 20 };
        await using var image = await Qcow2Image.OpenAsync(ImagePath, options).ConfigureAwait(false);
        long length = Math.Min(image.Length, ReadBytes);
        length -= length % image.LogicalBlockSize;
        var buffer = new byte[64 * 1024];
        for (long offset = 0; offset < length; offset += buffer.Length)
        {
            int count = (int)Math.Min(buffer.Length, length - offset);
            await image.ReadAsync(offset, buffer.AsMemory(0, count)).ConfigureAwait(false);
        }
    }

    private static async Task WriteAsync()
    {
        var options = new Qcow2OpenOptions
        {
            Lock = false,
            MetadataCacheBytes = 1 << 20,
            CheckTimeLimit = TimeSpan.FromSeconds(2),
            ChainPolicy = Qcow2ChainPolicy.Confined([Folder]),
        };
        await using var image = await Qcow2Image.OpenAsync(ImagePath, options).ConfigureAwait(false);
        long blocks = image.Length / image.LogicalBlockSize;
        if (blocks == 0)
        {
            return;
        }

        var data = new byte[8192];
        data.AsSpan().Fill(0x5a);
        long last = Math.Max(0, blocks - (data.Length / image.LogicalBlockSize)) * image.LogicalBlockSize;
        foreach (long offset in new[] { 0, last / 2 / image.LogicalBlockSize * image.LogicalBlockSize, last })
        {
            int count = (int)Math.Min(data.Length, image.Length - offset);
            await image.WriteAsync(offset, data.AsMemory(0, count)).ConfigureAwait(false);
            await image.ReadAsync(offset, data.AsMemory(0, count)).ConfigureAwait(false);
        }

        await image.DiscardAsync(0, Math.Min(image.Length, 1 << 20) / image.LogicalBlockSize * image.LogicalBlockSize).ConfigureAwait(false);
        await image.FlushAsync().ConfigureAwait(false);
        _ = await image.CheckAsync().ConfigureAwait(false);
    }
}
