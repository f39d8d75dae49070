// Hashes what a guest sees through a qcow2 image and its backing chain, as `qemu-img convert -O raw` + sha256sum would.
//   dotnet run -- overlay.qcow2
using System.Security.Cryptography;
using Targetd.Core.BlockDevices;
using Targetd.Qcow2;

if (args.Length != 1)
{
    Console.Error.WriteLine("usage: ChainHash IMAGE.qcow2");
    return 2;
}

try
{
    // Read-only, with the backing chain opened (relative backing names resolve against each image's folder).
    await using var image = await Qcow2Image.OpenAsync(args[0], new Qcow2OpenOptions { ReadOnly = true, OpenBackingFile = true });
    await using var guest = new BlockDeviceStream(image);
    byte[] hash = await SHA256.HashDataAsync(guest);

    Console.WriteLine($"image: {image.Path}");
    Console.WriteLine($"backing file: {image.BackingFile ?? "(none)"}");
    Console.WriteLine($"virtual size: {image.Length}");
    Console.WriteLine($"sha256: {Convert.ToHexStringLower(hash)}");
    return 0;
}
catch (Exception ex) when (ex is IOException or Qcow2FormatException or UnauthorizedAccessException)
{
    Console.Error.WriteLine($"ChainHash: {ex.Message}");
    return 1;
}
