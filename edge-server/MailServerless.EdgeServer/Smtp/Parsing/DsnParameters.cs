using System.Globalization;
using System.Text;
using MailServerless.Core.Queue;

namespace MailServerless.EdgeServer.Smtp.Parsing;

/// <summary>The DSN parameters of MAIL FROM and RCPT TO (RFC 3461 §4): RET, ENVID, NOTIFY and ORCPT, checked and decoded.</summary>
public static class DsnParameters
{
    /// <summary>RFC 3461 §4.4: ENVID is at most 100 characters; ORCPT's address at most 500 (§4.2).</summary>
    private const int MaxEnvelopeId = 100;
    private const int MaxOriginalRecipient = 500;

    public static bool TryParseReturn(string? value, out DsnReturn result)
    {
        result = DsnReturn.Headers;
        if (value is null)
        {
            return false;
        }

        if (value.Equals("FULL", StringComparison.OrdinalIgnoreCase))
        {
            result = DsnReturn.Full;
            return true;
        }

        return value.Equals("HDRS", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary><c>NEVER</c>, or a list of SUCCESS, FAILURE and DELAY (§4.1); NEVER with anything else is a syntax error.</summary>
    public static bool TryParseNotify(string? value, out DsnNotify result)
    {
        result = DsnNotify.Default;
        if (string.IsNullOrEmpty(value))
        {
            return false;
        }

        foreach (var word in value.Split(','))
        {
            var flag = word.ToUpperInvariant() switch
            {
                "NEVER" => DsnNotify.Never,
                "SUCCESS" => DsnNotify.Success,
                "FAILURE" => DsnNotify.Failure,
                "DELAY" => DsnNotify.Delay,
                _ => DsnNotify.Default,
            };
            if (flag == DsnNotify.Default)
            {
                return false;
            }

            result |= flag;
        }

        return result == DsnNotify.Never || !result.HasFlag(DsnNotify.Never);
    }

    public static bool TryParseEnvelopeId(string? value, out string envelopeId) =>
        TryDecodeXtext(value, out envelopeId) && value!.Length <= MaxEnvelopeId && envelopeId.All(c => c is >= ' ' and <= '~');

    /// <summary><c>addr-type ";" xtext</c> (§4.2): returned as <c>rfc822;user@example.jp</c>, the xtext decoded.</summary>
    public static bool TryParseOriginalRecipient(string? value, out string original)
    {
        original = string.Empty;
        var semicolon = value?.IndexOf(';', StringComparison.Ordinal) ?? -1;
        if (semicolon <= 0 || !value![..semicolon].All(c => char.IsAsciiLetterOrDigit(c) || c == '-') ||
            !TryDecodeXtext(value[(semicolon + 1)..], out var address) || address.Length is 0 or > MaxOriginalRecipient ||
            // No control characters (they would break the report's field); 8-bit only in a utf-8 address (RFC 6533).
            address.Any(c => c < ' ' || c == '\x7f' || (c > '~' && !value[..semicolon].Equals("utf-8", StringComparison.OrdinalIgnoreCase))))
        {
            return false;
        }

        original = value[..semicolon] + ";" + address;
        return true;
    }

    /// <summary>xtext (RFC 3461 §4): printable ASCII but '+' and '=', and "+XX" for any octet; decoded as UTF-8.</summary>
    public static bool TryDecodeXtext(string? value, out string decoded)
    {
        decoded = string.Empty;
        if (value is null)
        {
            return false;
        }

        var octets = new List<byte>(value.Length);
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (c == '+')
            {
                if (i + 2 >= value.Length ||
                    !byte.TryParse(value.AsSpan(i + 1, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var octet))
                {
                    return false;
                }

                octets.Add(octet);
                i += 2;
            }
            else if (c is > ' ' and <= '~' and not '=')
            {
                octets.Add((byte)c);
            }
            else
            {
                return false;
            }
        }

        try
        {
            decoded = new UTF8Encoding(false, true).GetString(octets.ToArray());
            return true;
        }
        catch (DecoderFallbackException)
        {
            return false;
        }
    }
}
