namespace Targetd.Iscsi.Scsi;

/// <summary>What RECEIVE COPY RESULTS reports for a finished EXTENDED COPY (SPC-4 §6.18.3).</summary>
/// <param name="Succeeded">Whether every segment was copied.</param>
/// <param name="SegmentsProcessed">How many segments were copied.</param>
/// <param name="BytesTransferred">How many bytes were written.</param>
internal readonly record struct CopyResult(bool Succeeded, int SegmentsProcessed, long BytesTransferred);
