using System.Diagnostics.CodeAnalysis;

namespace MailServerless.EdgeServer.Smtp.Parsing;

/// <summary>
/// The path and parameters of MAIL FROM / RCPT TO (RFC 5321 §4.1.2): <c>&lt;[@route,@route:]local@domain&gt;</c>
/// (<c>&lt;&gt;</c> for the null sender) followed by <c>KEY[=VALUE]</c> parameters. A source route is
/// accepted and ignored (§4.1.1.3, Appendix C). Like Postfix, a path without angle brackets is taken.
/// </summary>
public sealed record SmtpPath(string Address, IReadOnlyDictionary<string, string?> Parameters)
{
    public bool IsNull => Address.Length == 0;

    /// <summary>The bare <c>postmaster</c> (any case), which RCPT TO takes without a domain (RFC 5321 §4.1.1.3).</summary>
    public bool IsPostmaster => Core.Accounts.ServerPostmaster.IsPostmaster(Address);

    /// <param name="allowPostmaster">Take <c>&lt;postmaster&gt;</c> without a domain (RCPT TO).</param>
    public static bool TryParse(
        string text, bool allowNull, [NotNullWhen(true)] out SmtpPath? path, out string error, bool allowPostmaster = false)
    {
        path = null;
        error = "5.5.2 Syntax error in address";
        text = text.TrimStart();
        string address;
        string rest;
        if (text.StartsWith('<'))
        {
            var close = FindClosingBracket(text);
            if (close < 0)
            {
                return false;
            }

            address = text[1..close];
            rest = text[(close + 1)..];
        }
        else
        {
            var space = text.IndexOf(' ', StringComparison.Ordinal);
            address = space < 0 ? text : text[..space];
            rest = space < 0 ? string.Empty : text[space..];
        }

        // A source route ("@a,@b:user@c") names hosts to go through; only the mailbox counts.
        if (address.StartsWith('@'))
        {
            var colon = address.IndexOf(':', StringComparison.Ordinal);
            if (colon < 0)
            {
                return false;
            }

            address = address[(colon + 1)..];
        }

        if (address.Length == 0)
        {
            if (!allowNull)
            {
                return false;
            }
        }
        else if (!IsMailbox(address) && !(allowPostmaster && Core.Accounts.ServerPostmaster.IsPostmaster(address)))
        {
            return false;
        }

        var parameters = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var parameter in rest.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = parameter.IndexOf('=', StringComparison.Ordinal);
            var key = equals < 0 ? parameter : parameter[..equals];
            if (key.Length == 0 || !key.All(c => char.IsAsciiLetterOrDigit(c) || c == '-'))
            {
                error = "5.5.4 Invalid parameter";
                return false;
            }

            parameters[key] = equals < 0 ? null : parameter[(equals + 1)..];
        }

        path = new SmtpPath(address, parameters);
        return true;
    }

    /// <summary>local-part "@" (domain | address-literal), with a quoted local part allowed.</summary>
    private static bool IsMailbox(string address)
    {
        var at = address.LastIndexOf('@');
        if (at <= 0 || at == address.Length - 1)
        {
            return false;
        }

        var local = address[..at];
        var domain = address[(at + 1)..];
        var localOk = local.StartsWith('"')
            ? local.Length >= 2 && local.EndsWith('"') && !local[1..^1].Any(c => c < ' ' || c == '\x7f')
            : local.All(c => c > ' ' && c != '\x7f' && "<>()[]\\,;:@\"".IndexOf(c, StringComparison.Ordinal) < 0) &&
              !local.StartsWith('.') && !local.EndsWith('.') && !local.Contains("..", StringComparison.Ordinal);
        var domainOk = domain.StartsWith('[')
            ? domain.EndsWith(']') && domain.Length > 2
            : domain.Split('.').All(label => label.Length is > 0 and <= 63 &&
                                             label.All(c => char.IsLetterOrDigit(c) || c == '-' || c > '\x7f') &&
                                             label[0] != '-' && label[^1] != '-');
        return localOk && domainOk;
    }

    private static int FindClosingBracket(string text)
    {
        var quoted = false;
        for (var i = 1; i < text.Length; i++)
        {
            switch (text[i])
            {
                case '"':
                    quoted = !quoted;
                    break;
                case '\\' when quoted:
                    i++;
                    break;
                case '>' when !quoted:
                    return i;
            }
        }

        return -1;
    }
}
