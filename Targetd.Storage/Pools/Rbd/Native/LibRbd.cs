using System.Runtime.InteropServices;

namespace Targetd.Storage.Pools.Rbd.Native;

/// <summary>The librbd calls the RBD pools use (Debian package librbd1, ABI <c>librbd.so.1</c>).</summary>
internal static unsafe partial class LibRbd
{
    public const string Library = "librbd.so.1";

    /// <summary>rbd_image_spec_t: two strings allocated by librbd.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct ImageSpec
    {
        public byte* Id;
        public byte* Name;
    }

    [LibraryImport(Library, EntryPoint = "rbd_list2")]
    public static partial int List2(nint ioctx, ImageSpec* images, ref nuint maxImages);

    [LibraryImport(Library, EntryPoint = "rbd_image_spec_list_cleanup")]
    public static partial void ImageSpecListCleanup(ImageSpec* images, nuint count);

    [LibraryImport(Library, EntryPoint = "rbd_create", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Create(nint ioctx, string name, ulong size, ref int order);

    [LibraryImport(Library, EntryPoint = "rbd_remove", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Remove(nint ioctx, string name);

    [LibraryImport(Library, EntryPoint = "rbd_image_options_create")]
    public static partial void ImageOptionsCreate(out nint options);

    [LibraryImport(Library, EntryPoint = "rbd_image_options_destroy")]
    public static partial void ImageOptionsDestroy(nint options);

    [LibraryImport(Library, EntryPoint = "rbd_clone3", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Clone3(nint parentIoctx, string parentName, string parentSnapshot, nint childIoctx, string childName, nint options);

    [LibraryImport(Library, EntryPoint = "rbd_open", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Open(nint ioctx, string name, out nint image, string? snapshot);

    [LibraryImport(Library, EntryPoint = "rbd_open_read_only", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int OpenReadOnly(nint ioctx, string name, out nint image, string? snapshot);

    [LibraryImport(Library, EntryPoint = "rbd_close")]
    public static partial int Close(nint image);

    [LibraryImport(Library, EntryPoint = "rbd_get_size")]
    public static partial int GetSize(nint image, out ulong size);

    [LibraryImport(Library, EntryPoint = "rbd_get_id")]
    public static partial int GetId(nint image, byte* id, nuint length);

    [LibraryImport(Library, EntryPoint = "rbd_resize")]
    public static partial int Resize(nint image, ulong size);

    [LibraryImport(Library, EntryPoint = "rbd_snap_create", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int SnapCreate(nint image, string name);

    [LibraryImport(Library, EntryPoint = "rbd_snap_protect", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int SnapProtect(nint image, string name);

    [LibraryImport(Library, EntryPoint = "rbd_snap_unprotect", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int SnapUnprotect(nint image, string name);

    [LibraryImport(Library, EntryPoint = "rbd_snap_remove", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int SnapRemove(nint image, string name);

    [LibraryImport(Library, EntryPoint = "rbd_flatten")]
    public static partial int Flatten(nint image);

    /// <summary>rbd_diff_iterate2 from the image's creation (no snapshot name).</summary>
    [LibraryImport(Library, EntryPoint = "rbd_diff_iterate2")]
    public static partial int DiffIterate2(nint image, byte* fromSnapshot, ulong offset, ulong length, byte includeParent, byte wholeObject, delegate* unmanaged<ulong, nuint, int, nint, int> callback, nint argument);

    [LibraryImport(Library, EntryPoint = "rbd_aio_create_completion")]
    public static partial int AioCreateCompletion(nint argument, delegate* unmanaged<nint, nint, void> callback, out nint completion);

    [LibraryImport(Library, EntryPoint = "rbd_aio_get_return_value")]
    public static partial nint AioGetReturnValue(nint completion);

    [LibraryImport(Library, EntryPoint = "rbd_aio_release")]
    public static partial void AioRelease(nint completion);

    [LibraryImport(Library, EntryPoint = "rbd_aio_read")]
    public static partial int AioRead(nint image, ulong offset, nuint length, byte* buffer, nint completion);

    [LibraryImport(Library, EntryPoint = "rbd_aio_write")]
    public static partial int AioWrite(nint image, ulong offset, nuint length, byte* buffer, nint completion);

    [LibraryImport(Library, EntryPoint = "rbd_aio_discard")]
    public static partial int AioDiscard(nint image, ulong offset, ulong length, nint completion);

    [LibraryImport(Library, EntryPoint = "rbd_aio_write_zeroes")]
    public static partial int AioWriteZeroes(nint image, ulong offset, nuint length, nint completion, int zeroFlags, int operationFlags);

    /// <summary>
    /// rbd_aio_compare_and_write: the completion returns -EILSEQ on a miscompare, with
    /// <paramref name="mismatchOffset"/> set before it fires (in Ceph 16.2 to the object's start plus the offset of
    /// the first differing byte within the range).
    /// </summary>
    /// <remarks>Some librbd headers declare the return <c>ssize_t</c>: its low 32 bits, read here, hold the same 0 or -errno.</remarks>
    [LibraryImport(Library, EntryPoint = "rbd_aio_compare_and_write")]
    public static partial int AioCompareAndWrite(nint image, ulong offset, nuint length, byte* compare, byte* buffer, nint completion, ulong* mismatchOffset, int operationFlags);

    [LibraryImport(Library, EntryPoint = "rbd_aio_flush")]
    public static partial int AioFlush(nint image, nint completion);
}
