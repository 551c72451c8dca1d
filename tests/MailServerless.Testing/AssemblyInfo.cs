using System.Runtime.Versioning;

// The shared test helpers drive Linux programs (MariaDB, Dovecot, runuser, unshare).
[assembly: SupportedOSPlatform("linux")]
