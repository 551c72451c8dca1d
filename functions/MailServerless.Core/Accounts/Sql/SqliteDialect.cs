using System.Data.Common;
using System.Text;
using Dapper;
using MailServerless.Core.Accounts.Schema;

namespace MailServerless.Core.Accounts.Sql;

/// <summary>
/// Renders the same schema for SQLite: integer types become INTEGER, everything else TEXT
/// compared case-insensitively (PostfixAdmin's collations are all <c>_ci</c>), and an
/// AUTO_INCREMENT key becomes <c>INTEGER PRIMARY KEY AUTOINCREMENT</c>.
/// </summary>
public sealed class SqliteDialect : ISqlDialect
{
    public static SqliteDialect Instance { get; } = new();

    public string Name => "Sqlite";

    public string InsertIgnore => "INSERT OR IGNORE";

    public string SearchableText(string column) => column;

    public IReadOnlyList<string> CreateTable(TableDefinition table)
    {
        var parts = new List<string>();
        var autoIncrementKey = table.Columns.FirstOrDefault(c => c.AutoIncrement);
        foreach (var column in table.Columns)
        {
            parts.Add(RenderColumn(column));
        }

        if (autoIncrementKey is null)
        {
            parts.Add($"PRIMARY KEY ({Names(table.PrimaryKey)})");
        }

        foreach (var fk in table.ForeignKeys)
        {
            parts.Add($"CONSTRAINT `{fk.Name}` FOREIGN KEY ({Names(fk.Columns)}) " +
                      $"REFERENCES `{fk.ReferencedTable}` ({Names(fk.ReferencedColumns)}) ON DELETE CASCADE");
        }

        var create = new StringBuilder();
        create.Append("CREATE TABLE IF NOT EXISTS `").Append(table.Name).Append("` (\n")
            .AppendJoin(",\n", parts.Select(p => "  " + p)).Append("\n)");

        var statements = new List<string> { create.ToString() };
        foreach (var index in table.Indexes)
        {
            // SQLite index names share one namespace with tables; PostfixAdmin's are per table.
            statements.Add($"CREATE {(index.Unique ? "UNIQUE " : string.Empty)}INDEX IF NOT EXISTS " +
                           $"`ix_{table.Name}_{index.Name}` ON `{table.Name}` ({Names(index.Columns)})");
        }

        return statements;
    }

    private static string RenderColumn(ColumnDefinition column)
    {
        if (column.AutoIncrement)
        {
            return $"`{column.Name}` INTEGER PRIMARY KEY AUTOINCREMENT";
        }

        var sql = new StringBuilder();
        sql.Append('`').Append(column.Name).Append('`').Append(column.IsInteger ? " INTEGER" : " TEXT COLLATE NOCASE");
        sql.Append(column.Nullable ? " NULL" : " NOT NULL");
        if (column.Default is not null)
        {
            sql.Append(" DEFAULT ").Append(column.DefaultIsCurrentTimestamp ? "CURRENT_TIMESTAMP" : column.Default);
        }

        return sql.ToString();
    }

    public string AddColumn(TableDefinition table, ColumnDefinition column)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(column);
        return $"ALTER TABLE `{table.Name}` ADD COLUMN {RenderColumn(column)}";
    }

    private static string Names(IEnumerable<string> names) => string.Join(",", names.Select(n => $"`{n}`"));

    public async Task<ISet<string>> ListTablesAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        var names = await connection.QueryAsync<string>(new CommandDefinition(
            "SELECT name FROM sqlite_master WHERE type = 'table'", cancellationToken: cancellationToken));
        return names.ToHashSet(StringComparer.OrdinalIgnoreCase);
    }

    public async Task<ISet<string>> ListColumnsAsync(DbConnection connection, string table, CancellationToken cancellationToken)
    {
        var names = await connection.QueryAsync<string>(new CommandDefinition(
            "SELECT name FROM pragma_table_info(@table)", new { table }, cancellationToken: cancellationToken));
        return names.ToHashSet(StringComparer.OrdinalIgnoreCase);
    }
}
