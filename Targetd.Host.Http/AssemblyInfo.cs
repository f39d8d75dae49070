using System.Runtime.Versioning;

// targetd drives Linux storage.
[assembly: SupportedOSPlatform("linux")]
