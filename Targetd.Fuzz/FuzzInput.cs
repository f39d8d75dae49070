namespace Targetd.Fuzz;

/// <summary>Reading one fuzzing input.</summary>
internal static class FuzzInput
{
    /// <summary>The largest input a harness looks at; longer inputs are cut.</summary>
    public const int MaxLength = 1 << 20;

    /// <summary>All bytes of the input, up to <see cref="MaxLength"/>.</summary>
    public static byte[] ReadAll(Stream stream)
    {
        using var copy = new MemoryStream();
        var buffer = new byte[64 * 1024];
        int read;
        while (copy.Length < MaxLength && (read = stream.Read(buffer, 0, (int)Math.Min(buffer.Length, MaxLength - copy.Length))) > 0)
        {
            copy.Write(buffer, 0, read);
        }

        return copy.ToArray();
    }

    /// <summary>The input as UTF-8 text (invalid sequences become U+FFFD, as a reader of the component would see them).</summary>
    public static string ReadText(Stream stream) => System.Text.Encoding.UTF8.GetString(ReadAll(stream));
}
