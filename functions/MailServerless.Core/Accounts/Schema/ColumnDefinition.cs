namespace MailServerless.Core.Accounts.Schema;

/// <summary>
/// One column, described in MySQL's own terms (the type as PostfixAdmin declares it);
/// the SQLite dialect derives its affinity from the same text.
/// </summary>
/// <param name="Name">Column name.</param>
/// <param name="MySqlType">The type as MySQL/MariaDB shows it, e.g. <c>varchar(255)</c>, <c>tinyint(1)</c>.</param>
/// <param name="Nullable">Whether NULL is allowed.</param>
/// <param name="Default">The default as an SQL literal (<c>'2000-01-01 00:00:00'</c>, <c>0</c>,
/// <c>current_timestamp()</c>), or null for none.</param>
/// <param name="Charset">A character set that differs from the table's, with <paramref name="Collation"/>.</param>
/// <param name="Collation">The collation that goes with <paramref name="Charset"/>.</param>
/// <param name="AutoIncrement">An AUTO_INCREMENT integer key.</param>
public sealed record ColumnDefinition(
    string Name,
    string MySqlType,
    bool Nullable = false,
    string? Default = null,
    string? Charset = null,
    string? Collation = null,
    bool AutoIncrement = false)
{
    /// <summary>True for the integer types (tinyint, int, bigint), which SQLite stores as INTEGER.</summary>
    public bool IsInteger => MySqlType.Contains("int", StringComparison.OrdinalIgnoreCase);

    /// <summary>True when the default is an expression rather than a literal.</summary>
    public bool DefaultIsCurrentTimestamp =>
        Default is not null && Default.StartsWith("current_timestamp", StringComparison.OrdinalIgnoreCase);
}
