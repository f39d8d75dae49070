using Targetd.Core.BlockDevices;
using Targetd.Qcow2;

namespace Targetd.Storage.Qcow2Target;

/// <summary>
/// A disk image opened for serving. The openers hold QEMU's image locks on every file of its chain for as long as it
/// is open, which keeps QEMU's tools, and any second opener in this process, from writing beside it.
/// </summary>
internal sealed class AttachedDisk : IAsyncDisposable
{
    private AttachedDisk(string path, IBlockDevice device)
    {
        Path = path;
        Device = device;
    }

    public string Path { get; }

    public IBlockDevice Device { get; }

    /// <summary>
    /// Opens a qcow2 image (with its backing chain, every file of it admitted by <paramref name="policy"/>) or a raw
    /// image read-write, locked as QEMU locks it. The file's type is checked before it is opened, so a FIFO never blocks.
    /// </summary>
    /// <exception cref="Qcow2TargetException">The file is not a usable disk image, its chain is refused, or it is in use elsewhere.</exception>
    public static async Task<AttachedDisk> OpenAsync(string path, Qcow2ChainPolicy policy, CancellationToken cancellationToken)
    {
        if (Directory.Exists(path))
        {
            throw Qcow2TargetErrors.NotADiskImage(path, "it is a directory");
        }

        try
        {
            policy.Admit(path);
            IBlockDevice device = await Qcow2Image.IsQcow2Async(path, cancellationToken).ConfigureAwait(false)
                ? await Qcow2Image.OpenAsync(path, new Qcow2OpenOptions { ChainPolicy = policy }, cancellationToken).ConfigureAwait(false)
                : OpenRaw(path);
            return new AttachedDisk(path, device);
        }
        catch (Qcow2ChainException ex)
        {
            throw new Qcow2TargetException($"cannot attach '{path}': {ex.Message}", ex);
        }
        catch (ImageInUseException ex)
        {
            throw new Qcow2TargetException(ex.Message, ex);
        }
        catch (Exception ex) when (ex is Qcow2FormatException or InvalidDataException or ArgumentException or NotSupportedException
            or OverflowException or IndexOutOfRangeException or OutOfMemoryException)
        {
            throw Qcow2TargetErrors.NotADiskImage(path, ex.Message);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new Qcow2TargetException($"cannot open '{path}': {ex.Message}", ex);
        }
    }

    public ValueTask DisposeAsync() => Device.DisposeAsync();

    private static FileBlockDevice OpenRaw(string path)
    {
        long length = new FileInfo(path).Length;
        if (length == 0 || length % 512 != 0)
        {
            throw new InvalidDataException($"a raw image must be a non-empty multiple of 512 bytes, this file is {length} bytes");
        }

        return FileBlockDevice.Open(path);
    }
}
