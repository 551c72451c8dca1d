using System.Globalization;

namespace MailServerless.Core.Addresses;

/// <summary>
/// An address as the directory compares it: local part and domain lower-cased, the
/// domain in its ASCII (IDNA) form, as PostfixAdmin stores it and Postfix looks it up.
/// </summary>
public sealed record EmailAddress(string LocalPart, string Domain)
{
    private static readonly IdnMapping Idn = new() { AllowUnassigned = false, UseStd3AsciiRules = true };

    /// <summary>The whole address, <c>local@domain</c>; <c>@domain</c> for a catch-all key.</summary>
    public string Value => LocalPart + "@" + Domain;

    public override string ToString() => Value;

    /// <summary>
    /// PostfixAdmin's address columns are latin1: an address with a character outside it
    /// cannot be stored there, so it names no mailbox or alias.
    /// </summary>
    public bool FitsLatin1 => LocalPart.All(c => c <= '\u00ff') && Domain.All(c => c <= '\u00ff');

    /// <summary>
    /// Parses <c>local@domain</c> (or <c>@domain</c> when <paramref name="allowEmptyLocalPart"/>).
    /// The split is at the last '@' (RFC 5321 §4.1.2: a quoted local part may hold one).
    /// </summary>
    public static bool TryParse(string? text, out EmailAddress address, bool allowEmptyLocalPart = false)
    {
        address = new EmailAddress(string.Empty, string.Empty);
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        var trimmed = text.Trim();
        var at = trimmed.LastIndexOf('@');
        if (at < 0 || at == trimmed.Length - 1 || (at == 0 && !allowEmptyLocalPart))
        {
            return false;
        }

        if (!TryNormalizeDomain(trimmed[(at + 1)..], out var domain))
        {
            return false;
        }

        var local = trimmed[..at];
        if (local.Any(char.IsControl) || local.Contains(' ', StringComparison.Ordinal))
        {
            return false;
        }

        address = new EmailAddress(local.ToLowerInvariant(), domain);
        return true;
    }

    public static EmailAddress Parse(string text, bool allowEmptyLocalPart = false) =>
        TryParse(text, out var address, allowEmptyLocalPart)
            ? address
            : throw new FormatException($"'{text}' is not an email address.");

    /// <summary>Lower-cases a domain and converts an internationalised one to its A-label form.</summary>
    public static bool TryNormalizeDomain(string? text, out string domain)
    {
        domain = string.Empty;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        var candidate = text.Trim().TrimEnd('.');
        try
        {
            candidate = Idn.GetAscii(candidate);
        }
        catch (ArgumentException)
        {
            return false;
        }

        domain = candidate.ToLowerInvariant();
        return domain.Length is > 0 and <= 253;
    }

    public static string NormalizeDomain(string text) =>
        TryNormalizeDomain(text, out var domain)
            ? domain
            : throw new FormatException($"'{text}' is not a domain name.");
}
