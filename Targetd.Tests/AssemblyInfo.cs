using System.Runtime.Versioning;

// The suites drive Linux-only parts (storage pools, image locks) and Linux tools.
[assembly: SupportedOSPlatform("linux")]
