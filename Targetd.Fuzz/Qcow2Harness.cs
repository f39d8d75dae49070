using Targetd.Qcow2;

namespace Targetd.Fuzz;

/// <summary>
/// A qcow2 image from arbitrary bytes: written to a temporary file, opened read-only (its backing file not
/// followed) and its first MiBs read. A refusal is a <see cref="Qcow2FormatException"/>, an
/// <see cref="IOException"/> or an <see cref="InvalidDataException"/>.
/// </summary>
internal static class Qcow2Harness
{
    private const int ReadBytes = 4 << 20;
    private static readonly string ImagePath = Path.Combine(Path.GetTempPath(), $"targetd-fuzz-{Environment.ProcessId}.qcow2");

    public static void Run(Stream stream)
    {
        File.WriteAllBytes(ImagePath, FuzzInput.ReadAll(stream));
        try
        {
            ReadAsync().GetAwaiter().GetResult();
        }
        catch (Exception ex) when (ex is Qcow2FormatException or Qcow2ChainException or IOException or InvalidDataException)
        {
            // a refused image (ImageInUseException and FileNotFoundException are IOExceptions)
        }
    }

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
}
