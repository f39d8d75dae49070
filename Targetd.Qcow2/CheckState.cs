using System.Globalization;
using Targetd.Qcow2.Format;

namespace Targetd.Qcow2;

/// <summary>The reference counts a check computes from the image's metadata, with its findings.</summary>
internal sealed class CheckState(long clusters, int clusterBits)
{
    private readonly uint[] _expected = new uint[Math.Max(clusters, 1)];

    public long Length => _expected.Length;

    public int Corruptions { get; private set; }

    public int UnfixableCorruptions { get; private set; }

    public long AllocatedDataClusters { get; set; }

    public List<string> Messages { get; } = [];

    public ulong Expected(long cluster) => cluster >= 0 && cluster < _expected.Length ? _expected[cluster] : 0;

    /// <summary>Counts one reference to every cluster of a byte range; false (and a corruption) if it lies outside the file.</summary>
    public bool Reference(long offset, long length, string what)
    {
        if (length <= 0)
        {
            return true;
        }

        long first = offset >> clusterBits;
        long last = (offset + length - 1) >> clusterBits;
        if (offset < 0 || last >= _expected.Length)
        {
            Corruption(string.Create(CultureInfo.InvariantCulture, $"ERROR {what} at offset 0x{offset:x} lies past the end of the image file"));
            UnfixableCorruptions++;
            return false;
        }

        for (long c = first; c <= last; c++)
        {
            _expected[c]++;
        }

        return true;
    }

    public void Corruption(string message)
    {
        Corruptions++;
        Messages.Add(message);
    }
}
