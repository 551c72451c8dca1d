namespace MailServerless.UnitTests.Passwords;

/// <summary>
/// Hashes made by the real Dovecot 2.3.19.1 (Debian 12's dovecot-core) with
/// <c>doveadm pw -s SCHEME -p 'pässwörd'</c>, one run per line, recorded verbatim.
/// The integration suite makes fresh ones with doveadm at test time as well.
/// </summary>
internal static class RecordedDovecotVectors
{
    public const string Password = "pässwörd";

    public static TheoryData<string, string> All { get; } = new()
    {
        { "MD5-CRYPT", "{MD5-CRYPT}$1$l9.a4CGZ$/Obz6SWBvXYo49aEvB/vk0" },
        { "SHA256-CRYPT", "{SHA256-CRYPT}$5$j8arrdCJVdy2FnLR$E2ghPVr23tZ.rYDr4DgsMTtLQdbRuTOMsZvYZMyVTS5" },
        {
            "SHA512-CRYPT",
            "{SHA512-CRYPT}$6$tQe3aHUx46.P5vkC$pf8h17XGLMDWnwfrnWDA2qt9AlvQAiXVjE4tJiLF.RO/S2YBZPiHOczOpzByRoC1IllCc7ypV5ss2P0Nemzus0"
        },
        { "BLF-CRYPT", "{BLF-CRYPT}$2y$05$TWsXSnSipo7Ey11OnxjSc.K737.WHeHd0UI7.ddeC6HHfiigJh3oi" },
        { "ARGON2I", "{ARGON2I}$argon2i$v=19$m=32768,t=4,p=1$YTIgbH+KZmEgR/md0bMpRA$8XwAg7BgmHjR5TnyMGS/kpICxYvpwlXaLQLLNYMvGks" },
        {
            "ARGON2ID",
            "{ARGON2ID}$argon2id$v=19$m=65536,t=3,p=1$U9+cER7TateoCUssaOZF7w$JVQgu7LNMuxQdw28mvP2kGr8yaAoSXb7pWZZFjZp72k"
        },
        { "PLAIN-MD5", "{PLAIN-MD5}12841e4ba5e37d2fbfc78458c6714ade" },
        { "PLAIN", "{PLAIN}pässwörd" },
        { "CRYPT", "{CRYPT}$2y$05$c/a9KLpY6aAdK4e.jPFBWOdhGxYfrv3Y1u2SqQxhomZmKq8Dlh/Ke" },
    };
}
