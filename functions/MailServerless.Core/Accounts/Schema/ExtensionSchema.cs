namespace MailServerless.Core.Accounts.Schema;

/// <summary>
/// Tables MailServerless adds beside PostfixAdmin's. They all carry the <c>msl_</c>
/// prefix, so PostfixAdmin, Postfix and Dovecot never see a change to their own tables.
/// </summary>
public static class ExtensionSchema
{
    public const string Prefix = "msl_";

    /// <summary>Version of the added tables, kept in <c>msl_meta</c>: the last of <see cref="ExtensionMigrations.Steps"/>.</summary>
    public const int Version = 4;

    public static TableDefinition Meta { get; } = new(
        Prefix + "meta",
        [new("name", "varchar(64)"), new("value", "varchar(255)")],
        ["name"],
        Charset: "utf8mb4",
        Collation: "utf8mb4_general_ci",
        Comment: "MailServerless - settings and schema version");

    /// <summary>API keys for automation: the secret is kept only as its SHA-256; a key acts as its admin.</summary>
    public static TableDefinition ApiKey { get; } = new(
        Prefix + "api_key",
        [
            new("id", "varchar(32)"), new("name", "varchar(255)"), new("secret_hash", "varchar(64)"), new("username", "varchar(255)"),
            new("created", "datetime", Default: "'2000-01-01 00:00:00'"), new("last_used", "datetime", Default: "'2000-01-01 00:00:00'"),
        ],
        ["id"],
        Charset: "utf8mb4",
        Collation: "utf8mb4_general_ci",
        Comment: "MailServerless - admin API keys");

    /// <summary>
    /// DKIM signing keys, one per local domain, shaped like PostfixAdmin 4's <c>dkim</c> table (its
    /// <c>description</c> names the algorithm; <c>public_key</c> is the DNS record's <c>p=</c> value), with
    /// room for a rotation's next key (<c>pending_*</c>) until its record is published.
    /// </summary>
    public static TableDefinition Dkim { get; } = new(
        Prefix + "dkim",
        [
            new("domain_name", "varchar(255)"), new("description", "varchar(255)", Default: "''"), new("selector", "varchar(63)"),
            new("private_key", "text"), new("public_key", "text"),
            new("created", "datetime", Default: "'2000-01-01 00:00:00'"), new("modified", "datetime", Default: "'2000-01-01 00:00:00'"),
            // A rotation's new key, waiting until its record is published before it signs.
            new("pending_selector", "varchar(63)", Default: "''"), new("pending_description", "varchar(255)", Default: "''"),
            new("pending_private_key", "text", Nullable: true), new("pending_public_key", "text", Nullable: true),
        ],
        ["domain_name"],
        Charset: "utf8mb4",
        Collation: "utf8mb4_general_ci",
        Comment: "MailServerless - DKIM signing keys");

    /// <summary>A mailbox's settings PostfixAdmin has no column for: the language of the messages the server writes to its owner.</summary>
    public static TableDefinition MailboxSetting { get; } = new(
        Prefix + "mailbox_setting",
        [new("username", "varchar(255)"), new("language", "varchar(16)", Default: "''")],
        ["username"],
        Charset: "utf8mb4",
        Collation: "utf8mb4_general_ci",
        Comment: "MailServerless - mailbox settings");

    /// <summary>
    /// The web console's data-protection keys (ASP.NET Core's key ring, one XML element each), which seal its session
    /// cookies and antiforgery tokens: kept with the directory so every process serving the console honours them.
    /// </summary>
    public static TableDefinition ConsoleKey { get; } = new(
        Prefix + "console_key",
        [new("name", "varchar(64)"), new("xml", "text")],
        ["name"],
        Charset: "utf8mb4",
        Collation: "utf8mb4_general_ci",
        Comment: "MailServerless - web console session keys");

    public static IReadOnlyList<TableDefinition> Tables { get; } = [Meta, ApiKey, Dkim, MailboxSetting, ConsoleKey];
}
