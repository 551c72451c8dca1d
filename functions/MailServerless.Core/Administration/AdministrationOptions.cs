namespace MailServerless.Core.Administration;

/// <summary>The <c>Mail:Admin</c> settings (PostfixAdmin's <c>config.inc.php</c> counterparts).</summary>
public sealed class AdministrationOptions
{
    /// <summary>Local parts created as aliases with every new domain (PostfixAdmin's <c>default_aliases</c>; RFC 2142).</summary>
    public IReadOnlyList<string> DefaultAliases { get; set; } = ["abuse", "hostmaster", "postmaster", "webmaster"];

    /// <summary>Where the default aliases point; empty: the admin who creates the domain.</summary>
    public string? DefaultAliasTarget { get; set; }

    /// <summary>The shortest password a mailbox or admin may get.</summary>
    public int MinPasswordLength { get; set; } = 8;

    /// <summary>The password a mailbox or admin is given, checked against <see cref="MinPasswordLength"/>.</summary>
    public string CheckPassword(string? password) =>
        password is null || password.Length < MinPasswordLength || password.Any(char.IsControl)
            ? throw AdministrationException.Invalid("password", $"The password needs at least {MinPasswordLength} characters, without control characters.")
            : password;

    /// <summary>Subject of the mail sent to every new mailbox (PostfixAdmin's <c>welcome_text</c>); empty: none is sent.</summary>
    public string WelcomeSubject { get; set; } = "Welcome";

    public string WelcomeText { get; set; } = "Hi,\n\nWelcome to your new account.\n";
}
