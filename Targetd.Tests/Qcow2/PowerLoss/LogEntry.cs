namespace Targetd.Tests.Qcow2.PowerLoss;

/// <summary>One write, flush or acknowledged guest flush in a <see cref="WriteLog"/>.</summary>
internal sealed record LogEntry(LogOperation Operation, long Offset, byte[] Data, int Mark);
