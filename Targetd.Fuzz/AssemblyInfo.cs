using System.Runtime.Versioning;

// The harnesses drive the Linux daemons' code, as AFL++ runs them on Linux.
[assembly: SupportedOSPlatform("linux")]
