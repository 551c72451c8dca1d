using System.Runtime.Versioning;

// The clients under test are Linux programs from Debian's packages.
[assembly: SupportedOSPlatform("linux")]
