namespace MailServerless.Core.Accounts.Schema;

/// <summary>
/// PostfixAdmin 3.3's tables, column for column as its own upgrade.php creates them on
/// MySQL/MariaDB (schema version 1847). These tables are shared with PostfixAdmin,
/// Postfix and Dovecot, so they are created when missing and otherwise never altered.
/// </summary>
public static class PostfixAdminSchema
{
    /// <summary>The value PostfixAdmin 3.3.13 keeps in <c>config</c> (name = 'version').</summary>
    public const string SchemaVersion = "1847";

    private const string Epoch = "'2000-01-01 00:00:00'";
    private const string Utf8 = "utf8mb3";
    private const string Utf8Collation = "utf8mb3_general_ci";
    private const string Utf8Mb4 = "utf8mb4";
    private const string Utf8Mb4Collation = "utf8mb4_general_ci";
    private const string Latin1 = "latin1";
    private const string Latin1Collation = "latin1_general_ci";

    private static ColumnDefinition VarChar(string name, string? @default = null) =>
        new(name, "varchar(255)", Default: @default);

    private static ColumnDefinition Utf8VarChar(string name, int length = 255) =>
        new(name, $"varchar({length})", Default: "''", Charset: Utf8, Collation: Utf8Collation);

    private static ColumnDefinition DateTime(string name) => new(name, "datetime", Default: Epoch);

    private static ColumnDefinition Flag(string name, int @default) =>
        new(name, "tinyint(1)", Default: @default.ToString(System.Globalization.CultureInfo.InvariantCulture));

    public static TableDefinition Admin { get; } = new(
        "admin",
        [
            VarChar("username"), VarChar("password"), DateTime("created"), DateTime("modified"),
            Flag("active", 1), Flag("superadmin", 0), Utf8VarChar("phone", 30), Utf8VarChar("email_other"),
            Utf8VarChar("token"), DateTime("token_validity"),
        ],
        ["username"],
        Comment: "Postfix Admin - Virtual Admins")
    { RequiredColumns = ["username", "password", "created", "modified", "active", "superadmin"] };

    public static TableDefinition Alias { get; } = new(
        "alias",
        [VarChar("address"), new("goto", "text"), VarChar("domain"), DateTime("created"), DateTime("modified"), Flag("active", 1)],
        ["address"],
        Comment: "Postfix Admin - Virtual Aliases")
    {
        Indexes = [new("domain", ["domain"])],
        RequiredColumns = ["address", "goto", "domain", "created", "modified", "active"],
    };

    public static TableDefinition AliasDomain { get; } = new(
        "alias_domain",
        [
            VarChar("alias_domain", "''"), VarChar("target_domain", "''"), DateTime("created"), DateTime("modified"),
            Flag("active", 1),
        ],
        ["alias_domain"],
        Comment: "Postfix Admin - Domain Aliases")
    {
        Indexes = [new("active", ["active"]), new("target_domain", ["target_domain"])],
        RequiredColumns = ["alias_domain", "target_domain", "created", "modified", "active"],
    };

    public static TableDefinition Config { get; } = new(
        "config",
        [
            new("id", "int(11)", AutoIncrement: true),
            new("name", "varchar(20)", Default: "''", Charset: Latin1, Collation: Latin1Collation),
            new("value", "varchar(20)", Default: "''", Charset: Latin1, Collation: Latin1Collation),
        ],
        ["id"],
        Charset: Utf8,
        Collation: Utf8Collation,
        Comment: "PostfixAdmin settings")
    {
        Indexes = [new("name", ["name"], Unique: true)],
        RequiredColumns = ["name", "value"],
    };

    public static TableDefinition Domain { get; } = new(
        "domain",
        [
            VarChar("domain"),
            new("description", "varchar(255)", Charset: Utf8, Collation: Utf8Collation),
            new("aliases", "int(10)", Default: "0"),
            new("mailboxes", "int(10)", Default: "0"),
            new("maxquota", "bigint(20)", Default: "0"),
            new("quota", "bigint(20)", Default: "0"),
            VarChar("transport"),
            Flag("backupmx", 0),
            DateTime("created"),
            DateTime("modified"),
            Flag("active", 1),
            new("password_expiry", "int(11)", Nullable: true, Default: "0"),
        ],
        ["domain"],
        Comment: "Postfix Admin - Virtual Domains")
    {
        RequiredColumns =
        [
            "domain", "description", "aliases", "mailboxes", "maxquota", "quota", "transport", "backupmx",
            "created", "modified", "active",
        ],
    };

    public static TableDefinition DomainAdmins { get; } = new(
        "domain_admins",
        [VarChar("username"), VarChar("domain"), DateTime("created"), Flag("active", 1), new("id", "int(11)", AutoIncrement: true)],
        ["id"],
        Comment: "Postfix Admin - Domain Admins")
    {
        Indexes = [new("username", ["username"])],
        RequiredColumns = ["username", "domain", "created", "active"],
    };

    public static TableDefinition Fetchmail { get; } = new(
        "fetchmail",
        [
            new("id", "int(11) unsigned", AutoIncrement: true),
            VarChar("mailbox"),
            VarChar("src_server"),
            new("src_auth",
                "enum('password','kerberos_v5','kerberos','kerberos_v4','gssapi','cram-md5','otp','ntlm','msn','ssh','any')",
                Nullable: true, Default: "NULL", Charset: Utf8, Collation: Utf8Collation),
            VarChar("src_user"),
            VarChar("src_password"),
            VarChar("src_folder"),
            new("poll_time", "int(11) unsigned", Default: "10"),
            new("fetchall", "tinyint(1) unsigned", Default: "0"),
            new("keep", "tinyint(1) unsigned", Default: "0"),
            new("protocol", "enum('POP3','IMAP','POP2','ETRN','AUTO')",
                Nullable: true, Default: "NULL", Charset: Utf8, Collation: Utf8Collation),
            new("usessl", "tinyint(1) unsigned", Default: "0"),
            new("extra_options", "text", Nullable: true, Default: "NULL"),
            new("returned_text", "text", Nullable: true, Default: "NULL"),
            VarChar("mda"),
            new("date", "timestamp", Default: Epoch),
            Flag("sslcertck", 0),
            new("sslcertpath", "varchar(255)", Nullable: true, Default: "''", Charset: Utf8, Collation: Utf8Collation),
            new("sslfingerprint", "varchar(255)", Nullable: true, Default: "''"),
            new("domain", "varchar(255)", Nullable: true, Default: "''"),
            Flag("active", 0),
            new("created", "timestamp", Default: Epoch),
            new("modified", "timestamp", Default: "current_timestamp()"),
            new("src_port", "int(11)", Default: "0"),
        ],
        ["id"]);

    public static TableDefinition Log { get; } = new(
        "log",
        [
            DateTime("timestamp"), VarChar("username"), VarChar("domain"), VarChar("action"), new("data", "text"),
            new("id", "int(11)", AutoIncrement: true),
        ],
        ["id"],
        Comment: "Postfix Admin - Log")
    {
        Indexes = [new("timestamp", ["timestamp"]), new("domain_timestamp", ["domain", "timestamp"])],
        RequiredColumns = ["timestamp", "username", "domain", "action", "data"],
    };

    public static TableDefinition Mailbox { get; } = new(
        "mailbox",
        [
            VarChar("username"),
            VarChar("password"),
            new("name", "varchar(255)", Charset: Utf8Mb4, Collation: Utf8Mb4Collation),
            VarChar("maildir"),
            new("quota", "bigint(20)", Default: "0"),
            VarChar("local_part"),
            VarChar("domain"),
            DateTime("created"),
            DateTime("modified"),
            Flag("active", 1),
            Utf8VarChar("phone", 30),
            Utf8VarChar("email_other"),
            Utf8VarChar("token"),
            DateTime("token_validity"),
            DateTime("password_expiry"),
        ],
        ["username"],
        Comment: "Postfix Admin - Virtual Mailboxes")
    {
        Indexes = [new("domain", ["domain"])],
        RequiredColumns =
        [
            "username", "password", "name", "maildir", "quota", "local_part", "domain", "created", "modified", "active",
        ],
    };

    public static TableDefinition Quota { get; } = new(
        "quota",
        [VarChar("username"), new("path", "varchar(100)"), new("current", "bigint(20)", Default: "0")],
        ["username", "path"]);

    public static TableDefinition Quota2 { get; } = new(
        "quota2",
        [
            new("username", "varchar(255)", Charset: Latin1, Collation: Latin1Collation),
            new("bytes", "bigint(20)", Default: "0"),
            new("messages", "int(11)", Default: "0"),
        ],
        ["username"],
        Charset: Utf8,
        Collation: Utf8Collation);

    public static TableDefinition Vacation { get; } = new(
        "vacation",
        [
            VarChar("email"),
            new("subject", "varchar(255)", Charset: Utf8Mb4, Collation: Utf8Mb4Collation),
            new("body", "text", Charset: Utf8Mb4, Collation: Utf8Mb4Collation),
            new("cache", "text"),
            VarChar("domain"),
            DateTime("created"),
            Flag("active", 1),
            new("modified", "timestamp", Default: "current_timestamp()"),
            new("activefrom", "timestamp", Default: Epoch),
            new("activeuntil", "timestamp", Default: "'2038-01-18 00:00:00'"),
            new("interval_time", "int(11)", Default: "0"),
        ],
        ["email"],
        Comment: "Postfix Admin - Virtual Vacation")
    {
        Indexes = [new("email", ["email"])],
        RequiredColumns = ["email", "subject", "body", "domain", "active"],
    };

    public static TableDefinition VacationNotification { get; } = new(
        "vacation_notification",
        [
            new("on_vacation", "varchar(255)", Charset: Latin1, Collation: Latin1Collation),
            new("notified", "varchar(255)", Default: "''", Charset: Latin1, Collation: Latin1Collation),
            new("notified_at", "timestamp", Default: "current_timestamp()"),
        ],
        ["on_vacation", "notified"],
        Charset: Utf8,
        Collation: Utf8Collation,
        Comment: "Postfix Admin - Virtual Vacation Notifications")
    {
        ForeignKeys = [new("vacation_notification_pkey", ["on_vacation"], "vacation", ["email"])],
        RequiredColumns = ["on_vacation", "notified", "notified_at"],
    };

    /// <summary>Every PostfixAdmin table, in an order that satisfies foreign keys.</summary>
    public static IReadOnlyList<TableDefinition> Tables { get; } =
    [
        Admin, Alias, AliasDomain, Config, Domain, DomainAdmins, Fetchmail, Log, Mailbox, Quota, Quota2,
        Vacation, VacationNotification,
    ];
}
