using System.Runtime.Versioning;

// The benchmarks drive the server process and read its CPU and memory on Linux.
[assembly: SupportedOSPlatform("linux")]
