// Drives an image-directory pool (thin qcow2 volumes in one folder) with no daemon and no HTTP: create, list,
// copy, destroy, as targetd's vol_create / vol_list / vol_copy / vol_destroy do.
//   dotnet run -- [FOLDER]   (a temporary folder when none is given)
using System.Runtime.Versioning;
using Targetd.Storage.Errors;
using Targetd.Storage.Pools;
using Targetd.Storage.Pools.Images;

// Targetd.Storage drives Linux (reflinks, lvm2, btrfs-progs, exportfs): so does a program that uses it.
[assembly: SupportedOSPlatform("linux")]

string folder = args.Length > 0 ? args[0] : Directory.CreateTempSubdirectory("targetd-pool-").FullName;
Directory.CreateDirectory(folder);
using var pool = new ImageDirectoryPool("samples", folder);

try
{
    await pool.CreateAsync("vol1", 64L << 20);
    await pool.CopyAsync("vol1", "vol1-copy", size: 128L << 20);
    await PrintAsync(pool, "after create and copy");

    await pool.DestroyAsync("vol1");
    await pool.DestroyAsync("vol1-copy");
    await PrintAsync(pool, "after destroy");

    // Every refusal is a StorageException with a kind (here VolumeNotFound) and targetd's message.
    try
    {
        await pool.DestroyAsync("vol1");
    }
    catch (StorageException ex)
    {
        Console.WriteLine($"destroying vol1 again: {ex.Kind}: {ex.Message}");
    }

    return 0;
}
catch (StorageException ex)
{
    Console.Error.WriteLine($"PoolDrive: {ex.Kind}: {ex.Message}");
    return 1;
}
finally
{
    if (args.Length == 0)
    {
        Directory.Delete(folder, recursive: true);
    }
}

static async Task PrintAsync(IBlockPool pool, string when)
{
    var info = await pool.GetInfoAsync();
    var volumes = await pool.ListAsync();
    Console.WriteLine($"pool {info.Name} ({info.Uuid}), {volumes.Count} volumes {when}:");
    foreach (var volume in volumes)
    {
        Console.WriteLine($"  volume {volume.Name} size {volume.Size} uuid {volume.Uuid}");
    }
}
