using System.Runtime.Versioning;

// The integration suite needs Linux: MariaDB and Dovecot from Debian's packages, libcrypt, Unix file modes.
[assembly: SupportedOSPlatform("linux")]
