using System.Runtime.Versioning;

// The daemon serves a UNIX socket and Linux storage.
[assembly: SupportedOSPlatform("linux")]
