namespace Targetd.Iscsi.Scsi;

/// <summary>A block-to-block segment of an EXTENDED COPY (SPC-4 §6.4.6.5).</summary>
/// <param name="Source">The index of the source target descriptor.</param>
/// <param name="Destination">The index of the destination target descriptor.</param>
/// <param name="Blocks">NUMBER OF BLOCKS.</param>
/// <param name="SourceLba">SOURCE LOGICAL BLOCK ADDRESS.</param>
/// <param name="DestinationLba">DESTINATION LOGICAL BLOCK ADDRESS.</param>
internal readonly record struct CopySegment(int Source, int Destination, int Blocks, ulong SourceLba, ulong DestinationLba);
