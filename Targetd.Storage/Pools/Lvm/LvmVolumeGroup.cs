namespace Targetd.Storage.Pools.Lvm;

/// <summary>One row of a <c>vgs</c> report.</summary>
/// <param name="Name">vg_name.</param>
/// <param name="Uuid">vg_uuid.</param>
/// <param name="Size">vg_size in bytes.</param>
/// <param name="Free">vg_free in bytes.</param>
internal sealed record LvmVolumeGroup(string Name, string Uuid, long Size, long Free);
