namespace Targetd.Storage.Pools;

/// <summary>A volume as <c>vol_list</c> reports it.</summary>
/// <param name="Name">The volume name.</param>
/// <param name="Size">Its size in bytes.</param>
/// <param name="Uuid">A stable identifier (LVM's LV UUID, or the image pool's).</param>
public sealed record BlockVolume(string Name, long Size, string Uuid);
