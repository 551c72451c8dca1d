using System.Data.Common;
using MailServerless.Core.Accounts.Schema;

namespace MailServerless.Core.Accounts.Sql;

/// <summary>
/// What differs between MySQL/MariaDB and SQLite. Queries themselves are written once in
/// the SQL both understand (backtick-quoted names, named parameters).
/// </summary>
public interface ISqlDialect
{
    /// <summary>"MySql" or "Sqlite", as in the <c>Mail:Directory:Provider</c> setting.</summary>
    string Name { get; }

    /// <summary>The statements that create <paramref name="table"/> and its indexes.</summary>
    IReadOnlyList<string> CreateTable(TableDefinition table);

    /// <summary><c>ALTER TABLE ... ADD COLUMN</c> for one of <paramref name="table"/>'s columns (a migration of our own tables).</summary>
    string AddColumn(TableDefinition table, ColumnDefinition column);

    /// <summary>"INSERT IGNORE" or "INSERT OR IGNORE".</summary>
    string InsertIgnore { get; }

    /// <summary>
    /// A column as text a search may compare with any Unicode text: on MySQL, PostfixAdmin's latin1 columns turned
    /// into utf8mb4 (comparing them with a utf8mb4 value is an "illegal mix of collations"); on SQLite, the column.
    /// </summary>
    string SearchableText(string column);

    /// <summary>Names of the tables in the current database.</summary>
    Task<ISet<string>> ListTablesAsync(DbConnection connection, CancellationToken cancellationToken);

    /// <summary>Names of the columns of <paramref name="table"/>.</summary>
    Task<ISet<string>> ListColumnsAsync(DbConnection connection, string table, CancellationToken cancellationToken);
}
