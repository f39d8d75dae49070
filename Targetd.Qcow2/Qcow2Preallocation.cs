namespace Targetd.Qcow2;

/// <summary>What a new image allocates up front: <c>preallocation</c> in <c>qemu-img create -o</c>.</summary>
public enum Qcow2Preallocation
{
    /// <summary>Nothing: L2 tables and data clusters are allocated by the first write to them (<c>off</c>).</summary>
    Off,

    /// <summary>Every L2 table, so that later writes only allocate data clusters (<c>metadata</c>).</summary>
    Metadata,
}
