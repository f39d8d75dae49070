namespace Targetd.Tests.CrashWriter;

/// <summary>One operation of the crash workload; its data, if any, derives from <see cref="DataSeed"/>.</summary>
internal readonly record struct CrashOperation(int Index, CrashOperationKind Kind, long Offset, int Length, int DataSeed)
{
    /// <summary>First byte after the range.</summary>
    public long End => Offset + Length;

    /// <summary>The range widened to whole 512-byte sectors: operations whose sectors meet never run at once.</summary>
    public (long Start, long End) Sectors => (Offset & ~511L, (End + 511) & ~511L);

    /// <summary>Fills <paramref name="destination"/> (of <see cref="Length"/> bytes) with what the operation leaves behind.</summary>
    public void Fill(Span<byte> destination)
    {
        if (Kind == CrashOperationKind.Write)
        {
            new Random(DataSeed).NextBytes(destination);
        }
        else
        {
            destination.Clear();
        }
    }
}
