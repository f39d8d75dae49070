namespace Targetd.Storage.Pools.Lvm;

/// <summary>One row of an <c>lvs</c> report.</summary>
/// <param name="Name">lv_name.</param>
/// <param name="Uuid">lv_uuid.</param>
/// <param name="Size">lv_size in bytes.</param>
/// <param name="Attributes">lv_attr, e.g. <c>-wi-a-----</c>, <c>twi-aotz--</c>, <c>Vwi-a-tz--</c>.</param>
/// <param name="PoolLv">pool_lv: the thin pool of a thin volume, empty otherwise.</param>
/// <param name="DataPercent">data_percent, null when LVM reports none (not a pool, or inactive).</param>
/// <param name="MetadataPercent">metadata_percent, null when LVM reports none.</param>
internal sealed record LvmLogicalVolume(
    string Name,
    string Uuid,
    long Size,
    string Attributes,
    string PoolLv,
    decimal? DataPercent,
    decimal? MetadataPercent)
{
    /// <summary>Volume type 't' (lv_attr bit 1): a thin pool.</summary>
    public bool IsThinPool => Attributes.Length > 0 && Attributes[0] == 't';

    /// <summary>Volume type 'V' (lv_attr bit 1): a thin volume.</summary>
    public bool IsThinVolume => Attributes.Length > 0 && Attributes[0] == 'V';

    /// <summary>Volume type '-' (lv_attr bit 1): a plain (linear, striped) volume.</summary>
    public bool IsPlain => Attributes.Length > 0 && Attributes[0] == '-';

    /// <summary>State 'a' (lv_attr bit 5): active, so <c>/dev/VG/LV</c> exists.</summary>
    public bool IsActive => Attributes.Length > 4 && Attributes[4] == 'a';

    /// <summary>The volume as <c>vol_list</c> reports it.</summary>
    public BlockVolume ToBlockVolume() => new(Name, Size, Uuid);
}
