using Targetd.Qcow2.Interop;

namespace Targetd.Qcow2;

/// <summary>A file of a chain the <see cref="ChainGuard"/> admitted: its canonical path and identity.</summary>
internal sealed record ChainFile(string RealPath, FileStatus Status);
