using System.Runtime.Versioning;

// Storage pools drive Linux tools and Linux file system calls.
[assembly: SupportedOSPlatform("linux")]
