using System.Text.Json;

namespace MailServerless.Core.Backup;

/// <summary>
/// The archive's first entry, <c>manifest.json</c>: the format and its version, when and where it was written, and
/// which parts it holds, so that a restore refuses an archive it does not understand before it writes anything.
/// </summary>
/// <param name="HostName">The server's <c>Mail:HostName</c>.</param>
/// <param name="Machine">The machine's own name (they differ behind NAT or in a container).</param>
/// <param name="Parts"><see cref="DirectoryPart"/> and/or <see cref="MaildirsPart"/>.</param>
/// <param name="DirectoryProvider">Where the directory lived: <c>Sqlite</c> (then in the archive) or <c>MySql</c> (not).</param>
public sealed record BackupManifest(
    string Format, int Version, DateTimeOffset Created, string HostName, string Machine, string ServerVersion,
    IReadOnlyList<string> Parts, string DirectoryProvider)
{
    public const string EntryName = "manifest.json";
    public const string FormatName = "mailserverless-backup";

    /// <summary>Raised when a restore of this build could no longer read what it writes now.</summary>
    public const int CurrentVersion = 1;

    public const string DirectoryPart = "directory";
    public const string MaildirsPart = "maildirs";

    /// <summary>The SQLite directory's entry (<c>directory/directory.db</c>).</summary>
    public const string DirectoryEntry = DirectoryPart + "/directory.db";

    /// <summary>A manifest is a few hundred bytes; anything much larger is not one.</summary>
    public const int MaxLength = 64 * 1024;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerOptions.Web) { WriteIndented = true };

    public bool Holds(string part) => Parts.Contains(part, StringComparer.Ordinal);

    public byte[] ToJson() => JsonSerializer.SerializeToUtf8Bytes(this, Json);

    /// <exception cref="BackupException">Not a manifest, or one of a format or version this build cannot restore.</exception>
    public static BackupManifest Parse(ReadOnlySpan<byte> json)
    {
        BackupManifest? manifest;
        try
        {
            manifest = JsonSerializer.Deserialize<BackupManifest>(json, Json);
        }
        catch (JsonException e)
        {
            throw new BackupException($"{EntryName} cannot be read: {e.Message}", e);
        }

        if (manifest is not { Format: FormatName, Parts: not null })
        {
            throw new BackupException($"not a MailServerless backup ({EntryName} names another format)");
        }

        if (manifest.Version is < 1 or > CurrentVersion)
        {
            throw new BackupException(
                $"the archive is format version {manifest.Version}, written by MailServerless {manifest.ServerVersion}; " +
                $"this build restores versions 1 to {CurrentVersion}: restore with that version or a newer one");
        }

        return manifest;
    }
}
