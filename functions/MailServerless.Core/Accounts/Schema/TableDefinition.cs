namespace MailServerless.Core.Accounts.Schema;

/// <summary>A secondary index (MySQL <c>KEY</c>).</summary>
public sealed record IndexDefinition(string Name, IReadOnlyList<string> Columns, bool Unique = false);

/// <summary>A foreign key with ON DELETE CASCADE, the only kind PostfixAdmin declares.</summary>
public sealed record ForeignKeyDefinition(
    string Name, IReadOnlyList<string> Columns, string ReferencedTable, IReadOnlyList<string> ReferencedColumns);

/// <summary>
/// One table of the directory. The definition is dialect-neutral; <see cref="Sql.ISqlDialect"/>
/// renders it as MySQL DDL (identical to what PostfixAdmin creates) or as SQLite DDL.
/// </summary>
public sealed record TableDefinition(
    string Name,
    IReadOnlyList<ColumnDefinition> Columns,
    IReadOnlyList<string> PrimaryKey,
    string Charset = "latin1",
    string Collation = "latin1_general_ci",
    string? Comment = null)
{
    public IReadOnlyList<IndexDefinition> Indexes { get; init; } = [];

    public IReadOnlyList<ForeignKeyDefinition> ForeignKeys { get; init; } = [];

    /// <summary>Columns our queries read or write; an existing table without them is refused at start-up.</summary>
    public IReadOnlyList<string> RequiredColumns { get; init; } = [];

    public ColumnDefinition Column(string name) =>
        Columns.FirstOrDefault(c => string.Equals(c.Name, name, StringComparison.Ordinal))
        ?? throw new ArgumentException($"Table {Name} has no column {name}.", nameof(name));
}
