using Microsoft.Data.Sqlite;

namespace MailServerless.Core.Backup;

/// <summary>
/// The SQLite directory copied through SQLite's online backup API (<c>sqlite3_backup_step(-1)</c>): one step under
/// one read transaction, so the copy is the whole database as of one moment while the server goes on writing (WAL
/// lets it). A plain copy of the file could catch it between a write to the database and one to its <c>-wal</c>.
/// </summary>
internal static class SqliteSnapshot
{
    private const int Attempts = 5;

    /// <summary>SQLITE_BUSY and SQLITE_LOCKED: another connection holds what the step needs for a moment.</summary>
    private static bool IsBusy(SqliteException e) => e.SqliteErrorCode is 5 or 6;

    /// <summary>Copies the database of <paramref name="connectionString"/> into <paramref name="target"/> (a new file).</summary>
    public static async Task CopyAsync(string connectionString, string target, CancellationToken cancellationToken)
    {
        // ReadWrite, not ReadWriteCreate: a wrong path must fail, not back up a new empty database.
        var source = new SqliteConnectionStringBuilder(connectionString) { Mode = SqliteOpenMode.ReadWrite, Pooling = false };
        var destination = new SqliteConnectionStringBuilder { DataSource = target, Mode = SqliteOpenMode.ReadWriteCreate, Pooling = false };
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await using var from = new SqliteConnection(source.ConnectionString);
                await from.OpenAsync(cancellationToken);
                await using (var busy = from.CreateCommand())
                {
                    busy.CommandText = "PRAGMA busy_timeout = 5000;";
                    await busy.ExecuteNonQueryAsync(cancellationToken);
                }

                await using var to = new SqliteConnection(destination.ConnectionString);
                await to.OpenAsync(cancellationToken);
                from.BackupDatabase(to);
                // The copy is one file on its own: no -wal beside it to carry (the server turns WAL on again at start).
                await using (var journal = to.CreateCommand())
                {
                    journal.CommandText = "PRAGMA journal_mode = DELETE;";
                    await journal.ExecuteNonQueryAsync(cancellationToken);
                }

                return;
            }
            catch (SqliteException e) when (IsBusy(e) && attempt < Attempts)
            {
                File.Delete(target);
                await Task.Delay(TimeSpan.FromMilliseconds(200 * attempt), cancellationToken);
            }
        }
    }

    /// <summary>The first 16 bytes every SQLite 3 database starts with: a restore refuses to install anything else.</summary>
    public static bool LooksLikeDatabase(string file)
    {
        Span<byte> header = stackalloc byte[16];
        using var stream = File.OpenRead(file);
        return stream.ReadAtLeast(header, header.Length, throwOnEndOfStream: false) == header.Length &&
               header.SequenceEqual("SQLite format 3\0"u8);
    }
}
