using MailServerless.Core.Addresses;

namespace MailServerless.Core.Administration;

/// <summary>
/// Checks the names an administrator types before they reach the directory: domains in their ASCII
/// form (IDN → A-labels, lower case, LDH labels of at most 63 octets, at most 253 in all, at least two
/// labels), local parts as RFC 5321 dot-atoms (no '/', no "..", no control characters).
/// </summary>
public static class DirectoryNames
{
    private const string AtomSpecials = "!#$%&'*+-=?^_`{|}~";

    public static string Domain(string? value, string field)
    {
        if (!EmailAddress.TryNormalizeDomain(value, out var domain) || !domain.Contains('.', StringComparison.Ordinal) ||
            domain.Split('.').Any(label => label.Length is 0 or > 63 || label.StartsWith('-') || label.EndsWith('-')))
        {
            throw AdministrationException.Invalid(field, $"'{Shorten(value)}' is not a domain name.");
        }

        return domain;
    }

    /// <summary>A dot-atom local part (RFC 5321 §4.1.2), lower-cased; '/' is refused as well since it would name a directory.</summary>
    public static string LocalPart(string? value, string field)
    {
        var local = value?.Trim() ?? string.Empty;
        if (local.Length is 0 or > 64 || local.StartsWith('.') || local.EndsWith('.') ||
            local.Contains("..", StringComparison.Ordinal) ||
            !local.All(c => char.IsAsciiLetterOrDigit(c) || c == '.' || (AtomSpecials.Contains(c, StringComparison.Ordinal) && c != '/')))
        {
            throw AdministrationException.Invalid(field, $"'{Shorten(value)}' is not a valid local part.");
        }

        return local.ToLowerInvariant();
    }

    /// <summary>A full address, or <c>@domain</c> (a catch-all) when <paramref name="allowCatchAll"/>.</summary>
    public static EmailAddress Address(string? value, string field, bool allowCatchAll = false)
    {
        var text = value?.Trim() ?? string.Empty;
        var at = text.LastIndexOf('@');
        if (at < 0)
        {
            throw AdministrationException.Invalid(field, $"'{Shorten(value)}' is not an email address.");
        }

        var domain = Domain(text[(at + 1)..], field);
        if (at == 0 && allowCatchAll)
        {
            return new EmailAddress(string.Empty, domain);
        }

        return new EmailAddress(LocalPart(text[..at], field), domain);
    }

    /// <summary>A forwarding target: any address, local or not (a catch-all is no target).</summary>
    public static string Target(string? value, string field) => Address(value, field).Value;

    private static string Shorten(string? value) =>
        value is null ? string.Empty : new string(value.Take(80).Select(c => char.IsControl(c) ? '?' : c).ToArray());
}
