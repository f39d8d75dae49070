namespace Targetd.Tests.Qcow2.PowerLoss;

/// <summary>
/// What the disk holds after one simulated power cut: the writes that reached it, in the order they are applied,
/// and the last guest flush all of whose writes are among them (-1 when none is).
/// </summary>
internal sealed record CrashState(string Description, IReadOnlyList<PendingWrite> Writes, int GuaranteedMark)
{
    /// <summary>Applies the state to <paramref name="path"/>, which holds the file as it was before the log.</summary>
    public void ApplyTo(string path, byte[] before)
    {
        File.WriteAllBytes(path, before);
        using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite);
        foreach (var write in Writes)
        {
            RandomAccess.Write(handle, write.Data.Span, write.Offset);
        }
    }
}
