namespace Targetd.Tests.CrashWriter;

/// <summary>What one operation of the crash workload does.</summary>
internal enum CrashOperationKind
{
    /// <summary>Writes seeded random bytes.</summary>
    Write,

    /// <summary>Writes zeroes (<c>WriteZeroesAsync</c>).</summary>
    WriteZeroes,

    /// <summary>Discards the range, which then reads as zeroes.</summary>
    Discard,
}
