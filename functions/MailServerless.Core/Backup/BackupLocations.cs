using MailServerless.Core.Configuration;
using Microsoft.Data.Sqlite;

namespace MailServerless.Core.Backup;

/// <summary>
/// Where a backup reads from and a restore writes to, all from the server's own settings: the data directory, the
/// Maildir base (<c>Mail:Store:Path</c>) and, for a SQLite directory, its connection string and file. A MySQL directory
/// has no file here: <c>mysqldump --single-transaction</c> backs it up, outside the archive.
/// </summary>
public sealed record BackupLocations(
    string DataDirectory, string StorePath, string DirectoryProvider, string? SqliteConnectionString, string? SqliteFile)
{
    public bool HasSqliteDirectory => SqliteFile is not null;

    public static BackupLocations From(MailOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!options.Directory.IsSqlite)
        {
            return new BackupLocations(options.EffectiveDataDirectory, options.EffectiveStorePath, options.Directory.Provider, null, null);
        }

        var connectionString = options.EffectiveDirectoryConnectionString;
        // Relative to the working directory, as SQLite itself (and CliHost's check) reads it.
        var file = Path.GetFullPath(new SqliteConnectionStringBuilder(connectionString).DataSource);
        return new BackupLocations(options.EffectiveDataDirectory, options.EffectiveStorePath, "Sqlite", connectionString, file);
    }
}
