namespace Targetd.Storage.Nfs;

/// <summary>One export of a path to one client, as <c>nfs_export_list</c> reports it.</summary>
/// <param name="Host">The client as exports(5) writes it (<c>*</c> for everyone).</param>
/// <param name="Path">The exported folder.</param>
/// <param name="Options">Its options, flags first in targetd's order, then <c>key=value</c> ones.</param>
public sealed record NfsExport(string Host, string Path, IReadOnlyList<string> Options);
