using System.Text;

namespace MailServerless.Core.Sieve;

/// <summary>
/// A <c>mailto:</c> notification URI (RFC 6068, as RFC 5436 uses it): its recipients, subject, body and other header
/// fields. Addresses are separated by <c>%2C</c> (a bare comma is refused, as Pigeonhole refuses it); the fields that
/// would let a URI forge the notification's origin or loop (From, Received, Auto-Submitted, …) are dropped
/// (RFC 5436 §2.4). At most <see cref="MaxRecipients"/> recipients, as Pigeonhole allows.
/// </summary>
public sealed record SieveMailto(IReadOnlyList<string> To, IReadOnlyList<string> Cc, string? Subject, string? Body, IReadOnlyList<(string Name, string Value)> Headers)
{
    public const int MaxRecipients = 8;

    /// <summary>Header fields a URI may not set (RFC 5436 §2.4: they are the notifier's to write).</summary>
    private static readonly HashSet<string> Ignored = new(StringComparer.OrdinalIgnoreCase)
    {
        "from", "sender", "reply-to", "received", "auto-submitted", "return-path", "message-id", "date", "mime-version",
        "content-type", "content-transfer-encoding", "bcc", "x-priority", "importance", "precedence",
    };

    /// <summary>The URI parsed, or null with why it is not a usable mailto URI.</summary>
    public static (SieveMailto? Uri, string? Error) Parse(string uri)
    {
        ArgumentNullException.ThrowIfNull(uri);
        var colon = uri.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0)
        {
            return (null, $"invalid notification URI '{uri}'");
        }

        var scheme = uri[..colon];
        if (!scheme.Equals("mailto", StringComparison.OrdinalIgnoreCase))
        {
            return (null, $"invalid method '{scheme}'");
        }

        var rest = uri[(colon + 1)..];
        var question = rest.IndexOf('?', StringComparison.Ordinal);
        var toPart = question < 0 ? rest : rest[..question];
        var to = new List<string>();
        var cc = new List<string>();
        if (Addresses(toPart, "to", to) is { } toError)
        {
            return (null, toError);
        }

        string? subject = null, body = null;
        var headers = new List<(string, string)>();
        if (question >= 0)
        {
            foreach (var field in rest[(question + 1)..].Split('&', StringSplitOptions.RemoveEmptyEntries))
            {
                var equals = field.IndexOf('=', StringComparison.Ordinal);
                if (equals <= 0 || Decode(field[..equals]) is not { } name || Decode(field[(equals + 1)..]) is not { } value ||
                    !name.All(c => c is > ' ' and < (char)127 and not ':'))
                {
                    return (null, $"mailto URI: invalid header field '{field}'");
                }

                switch (name.ToLowerInvariant())
                {
                    case "to":
                        if (Addresses(field[(equals + 1)..], "to", to) is { } error)
                        {
                            return (null, error);
                        }

                        break;
                    case "cc":
                        if (Addresses(field[(equals + 1)..], "cc", cc) is { } ccError)
                        {
                            return (null, ccError);
                        }

                        break;
                    case "subject":
                        subject = value;
                        break;
                    case "body":
                        body = value;
                        break;
                    default:
                        if (!Ignored.Contains(name))
                        {
                            headers.Add((name.ToLowerInvariant(), value));
                        }

                        break;
                }
            }
        }

        if (to.Count + cc.Count == 0)
        {
            return (null, "mailto URI: no recipients");
        }

        if (to.Count + cc.Count > MaxRecipients)
        {
            return (null, $"mailto URI: more than {MaxRecipients} recipients");
        }

        return (new SieveMailto(to, cc, subject, body, headers), null);
    }

    /// <summary>Whether <paramref name="address"/> is a plain addr-spec: a local part, '@', a domain; no display name or comment.</summary>
    public static bool IsAddress(string address)
    {
        ArgumentNullException.ThrowIfNull(address);
        var at = address.LastIndexOf('@');
        return at > 0 && at < address.Length - 1 && address.All(c => c is > ' ' and < (char)127 and not ('<' or '>' or '(' or ')' or ',' or '"' or '\\' or '[' or ']' or ';' or ':')) &&
               address[(at + 1)..].Split('.').All(label => label.Length > 0);
    }

    /// <summary>Adds the %2C-separated addresses of one part; an error text when one is not an address.</summary>
    private static string? Addresses(string part, string where, List<string> into)
    {
        if (part.Length == 0)
        {
            return null;
        }

        foreach (var c in part)
        {
            if (c is <= ' ' or >= (char)127 or ',' or '<' or '>' or '"' or '[' or ']' or '\\')
            {
                return $"mailto URI: invalid character '{c}' in '{where}' part";
            }
        }

        if (Decode(part) is not { } decoded)
        {
            return $"mailto URI: invalid %-encoding in '{where}' part";
        }

        foreach (var address in decoded.Split(','))
        {
            if (!IsAddress(address))
            {
                return $"mailto URI: invalid address '{address}' in '{where}' part";
            }

            into.Add(address);
        }

        return null;
    }

    /// <summary>%-decoding as UTF-8 (RFC 3986 §2.1); null for a broken escape or invalid UTF-8.</summary>
    private static string? Decode(string text)
    {
        if (!text.Contains('%', StringComparison.Ordinal))
        {
            return text;
        }

        var bytes = new List<byte>(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] != '%')
            {
                bytes.AddRange(Encoding.UTF8.GetBytes(text[i].ToString()));
                continue;
            }

            if (i + 2 >= text.Length || !Uri.IsHexDigit(text[i + 1]) || !Uri.IsHexDigit(text[i + 2]))
            {
                return null;
            }

            bytes.Add((byte)(Uri.FromHex(text[i + 1]) * 16 + Uri.FromHex(text[i + 2])));
            i += 2;
        }

        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes.ToArray());
        }
        catch (ArgumentException)
        {
            return null;
        }
    }
}
