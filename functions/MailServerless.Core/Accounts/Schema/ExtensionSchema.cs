namespace MailServerless.Core.Accounts.Schema;

/// <summary>
/// Tables MailServerless adds beside PostfixAdmin's. They all carry the <c>msl_</c>
/// prefix, so PostfixAdmin, Postfix and Dovecot never see a change to their own tables.
/// </summary>
public static class ExtensionSchema
{
    public const string Prefix = "msl_";

    /// <summary>Version of the added tables, kept in <c>msl_meta</c>.</summary>
    public const int Version = 1;

    public static TableDefinition Meta { get; } = new(
        Prefix + "meta",
        [new("name", "varchar(64)"), new("value", "varchar(255)")],
        ["name"],
        Charset: "utf8mb4",
        Collation: "utf8mb4_general_ci",
        Comment: "MailServerless - settings and schema version");

    public static IReadOnlyList<TableDefinition> Tables { get; } = [Meta];
}
