namespace Targetd.Tests.CrashWriter;

/// <summary>
/// The seeded workload the crash writer runs and the crash test replays: random writes of random offsets
/// and lengths, some zero-writes and discards. The sequence depends on the seed and the image size only.
/// </summary>
internal static class CrashWorkload
{
    public static IEnumerable<CrashOperation> Generate(int seed, long imageSize)
    {
        var random = new Random(seed);
        for (int index = 0; ; index++)
        {
            int length = random.Next(5) switch
            {
                0 => random.Next(1, 513),
                1 => random.Next(512, 70_000),
                2 => 4096 * random.Next(1, 40),
                3 => 65536 * random.Next(1, 4),
                _ => random.Next(1, 300_000),
            };
            length = (int)Math.Min(length, imageSize);
            long offset = random.Next(3) switch
            {
                0 => random.NextInt64(imageSize / 4096) * 4096,
                1 => random.NextInt64(imageSize / 65536) * 65536,
                _ => random.NextInt64(imageSize - length + 1),
            };
            offset = Math.Min(offset, imageSize - length);
            int kind = random.Next(10);
            var operationKind = kind < 7 ? CrashOperationKind.Write : kind < 9 ? CrashOperationKind.WriteZeroes : CrashOperationKind.Discard;
            yield return new CrashOperation(index, operationKind, offset, length, random.Next());
        }
    }
}
