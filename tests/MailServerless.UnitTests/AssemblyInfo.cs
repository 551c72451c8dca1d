using System.Runtime.Versioning;

// The unit tests share the test helpers (a certificate authority of their own among them), which are for Linux.
[assembly: SupportedOSPlatform("linux")]
