using System.Data.Common;
using System.Text;
using Dapper;
using MailServerless.Core.Accounts.Schema;

namespace MailServerless.Core.Accounts.Sql;

/// <summary>Renders the schema exactly as PostfixAdmin's own upgrade.php creates it on MySQL/MariaDB.</summary>
public sealed class MySqlDialect : ISqlDialect
{
    public static MySqlDialect Instance { get; } = new();

    public string Name => "MySql";

    public string InsertIgnore => "INSERT IGNORE";

    public string SearchableText(string column) => $"CONVERT({column} USING utf8mb4)";

    public IReadOnlyList<string> CreateTable(TableDefinition table)
    {
        var sql = new StringBuilder();
        sql.Append("CREATE TABLE IF NOT EXISTS `").Append(table.Name).Append("` (\n");
        var parts = new List<string>();
        foreach (var column in table.Columns)
        {
            parts.Add(RenderColumn(column));
        }

        parts.Add($"PRIMARY KEY ({Names(table.PrimaryKey)})");
        foreach (var index in table.Indexes)
        {
            parts.Add($"{(index.Unique ? "UNIQUE KEY" : "KEY")} `{index.Name}` ({Names(index.Columns)})");
        }

        foreach (var fk in table.ForeignKeys)
        {
            parts.Add($"CONSTRAINT `{fk.Name}` FOREIGN KEY ({Names(fk.Columns)}) " +
                      $"REFERENCES `{fk.ReferencedTable}` ({Names(fk.ReferencedColumns)}) ON DELETE CASCADE");
        }

        sql.AppendJoin(",\n", parts.Select(p => "  " + p));
        sql.Append("\n) ENGINE=InnoDB DEFAULT CHARSET=").Append(table.Charset)
            .Append(" COLLATE=").Append(table.Collation);
        if (table.Comment is not null)
        {
            sql.Append(" COMMENT='").Append(table.Comment.Replace("'", "''", StringComparison.Ordinal)).Append('\'');
        }

        return [sql.ToString()];
    }

    private static string RenderColumn(ColumnDefinition column)
    {
        var sql = new StringBuilder();
        sql.Append('`').Append(column.Name).Append("` ").Append(column.MySqlType);
        if (column.Charset is not null)
        {
            sql.Append(" CHARACTER SET ").Append(column.Charset).Append(" COLLATE ").Append(column.Collation);
        }

        sql.Append(column.Nullable ? " NULL" : " NOT NULL");
        if (column.Default is not null)
        {
            sql.Append(" DEFAULT ").Append(column.Default);
        }

        if (column.AutoIncrement)
        {
            sql.Append(" AUTO_INCREMENT");
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
            "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()",
            cancellationToken: cancellationToken));
        return names.ToHashSet(StringComparer.OrdinalIgnoreCase);
    }

    public async Task<ISet<string>> ListColumnsAsync(DbConnection connection, string table, CancellationToken cancellationToken)
    {
        var names = await connection.QueryAsync<string>(new CommandDefinition(
            "SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = @table",
            new { table }, cancellationToken: cancellationToken));
        return names.ToHashSet(StringComparer.OrdinalIgnoreCase);
    }
}
