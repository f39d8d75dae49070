using System.Runtime.InteropServices;

namespace Targetd.Storage.Pools.Rbd.Native;

/// <summary>Loads librbd.so.1 once, so its absence is a clear <see cref="DllNotFoundException"/> at connect time.</summary>
internal static class NativeLibraryProbe
{
    private static readonly Lazy<nint> Loaded = new(() =>
        NativeLibrary.TryLoad(LibRbd.Library, typeof(NativeLibraryProbe).Assembly, null, out nint handle)
            ? handle
            : throw new DllNotFoundException($"{LibRbd.Library} is not installed (Debian package librbd1)."));

    public static nint Librbd => Loaded.Value;
}
