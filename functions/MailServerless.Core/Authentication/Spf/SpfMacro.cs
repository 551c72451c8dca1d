using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace MailServerless.Core.Authentication.Spf;

/// <summary>What the macros of RFC 7208 §7.2 stand for, for one check.</summary>
/// <param name="Sender">The identity checked: the MAIL FROM, or postmaster@ the HELO name (§2.3).</param>
/// <param name="Domain">The domain being checked now (<c>%{d}</c>).</param>
/// <param name="ValidatedName">The client's validated name (<c>%{p}</c>), looked up only when used.</param>
public sealed record SpfMacroContext(IPAddress Client, string Sender, string Domain, string Helo, string Receiver, Func<Task<string>> ValidatedName, DateTimeOffset Now);

/// <summary>Macro expansion (RFC 7208 §7): <c>%{letter digits r delimiters}</c>, <c>%%</c>, <c>%_</c> and <c>%-</c>.</summary>
public static class SpfMacro
{
    private const string Delimiters = ".-+,/_=";

    /// <summary>Checks the syntax only.</summary>
    /// <exception cref="SpfSyntaxException">A bad macro.</exception>
    public static void Validate(string text, bool explanation)
    {
        ArgumentNullException.ThrowIfNull(text);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c != '%')
            {
                // macro-literal = %x21-24 / %x26-7E; an explanation may also hold spaces (§7.1).
                if ((c < 0x21 || c > 0x7E) && !(explanation && c == ' '))
                {
                    throw new SpfSyntaxException($"'{text}': character {(int)c} not allowed");
                }

                continue;
            }

            if (i + 1 >= text.Length)
            {
                throw new SpfSyntaxException($"'{text}': '%' at the end");
            }

            var next = text[++i];
            if (next is '%' or '_' or '-')
            {
                continue;
            }

            if (next != '{')
            {
                throw new SpfSyntaxException($"'{text}': '%{next}' is not a macro");
            }

            var close = text.IndexOf('}', i);
            if (close < 0)
            {
                throw new SpfSyntaxException($"'{text}': macro not closed");
            }

            _ = Parse(text[(i + 1)..close], explanation, text);
            i = close;
        }
    }

    /// <summary>Expands <paramref name="text"/>; a domain-spec longer than 253 octets loses labels from the left (§7.3).</summary>
    public static async Task<string> ExpandAsync(string text, SpfMacroContext context, bool explanation, bool domain)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(context);
        var result = new StringBuilder();
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c != '%')
            {
                result.Append(c);
                continue;
            }

            var next = text[++i];
            switch (next)
            {
                case '%':
                    result.Append('%');
                    continue;
                case '_':
                    result.Append(' ');
                    continue;
                case '-':
                    result.Append("%20");
                    continue;
            }

            var close = text.IndexOf('}', i);
            var (letter, digits, reverse, delimiters) = Parse(text[(i + 1)..close], explanation, text);
            i = close;
            var value = await ValueAsync(char.ToLowerInvariant(letter), context);
            var parts = value.Split(delimiters.ToCharArray());
            if (reverse)
            {
                Array.Reverse(parts);
            }

            if (digits is { } keep && keep < parts.Length)
            {
                parts = parts[^keep..];
            }

            var expanded = string.Join('.', parts);
            result.Append(char.IsUpper(letter) ? Uri.EscapeDataString(expanded) : expanded);
        }

        var output = result.ToString();
        if (domain)
        {
            while (output.TrimEnd('.').Length > 253 && output.IndexOf('.', StringComparison.Ordinal) is var dot and >= 0)
            {
                output = output[(dot + 1)..];
            }
        }

        return output;
    }

    private static (char Letter, int? Digits, bool Reverse, string Delimiters) Parse(string inner, bool explanation, string text)
    {
        if (inner.Length == 0 || !(char.ToLowerInvariant(inner[0]) is 's' or 'l' or 'o' or 'd' or 'i' or 'p' or 'h' or 'v' ||
                                   (explanation && char.ToLowerInvariant(inner[0]) is 'c' or 'r' or 't')))
        {
            throw new SpfSyntaxException($"'{text}': unknown macro letter");
        }

        var i = 1;
        var start = i;
        while (i < inner.Length && char.IsAsciiDigit(inner[i]))
        {
            i++;
        }

        int? digits = null;
        if (i > start)
        {
            var value = i - start > 3 ? int.MaxValue : int.Parse(inner[start..i], CultureInfo.InvariantCulture);
            digits = value is > 0 and <= 128 ? value : throw new SpfSyntaxException($"'{text}': bad number of labels");
        }

        var reverse = i < inner.Length && char.ToLowerInvariant(inner[i]) == 'r';
        if (reverse)
        {
            i++;
        }

        var delimiters = inner[i..];
        if (delimiters.Any(d => !Delimiters.Contains(d, StringComparison.Ordinal)))
        {
            throw new SpfSyntaxException($"'{text}': bad delimiter");
        }

        return (inner[0], digits, reverse, delimiters.Length == 0 ? "." : delimiters);
    }

    private static async Task<string> ValueAsync(char letter, SpfMacroContext context)
    {
        var at = context.Sender.LastIndexOf('@');
        return letter switch
        {
            's' => context.Sender,
            'l' => at > 0 ? context.Sender[..at] : "postmaster",
            'o' => at >= 0 ? context.Sender[(at + 1)..] : context.Sender,
            'd' => context.Domain,
            'i' => Dotted(context.Client),
            'p' => await context.ValidatedName(),
            'h' => context.Helo,
            'v' => context.Client.AddressFamily == AddressFamily.InterNetworkV6 ? "ip6" : "in-addr",
            'c' => context.Client.ToString(),
            'r' => context.Receiver,
            't' => context.Now.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture),
            _ => string.Empty,
        };
    }

    /// <summary><c>%{i}</c>: dotted quad, or IPv6 as 32 dotted nibbles (§7.3).</summary>
    private static string Dotted(IPAddress address)
    {
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            return address.ToString();
        }

        var hex = Convert.ToHexString(address.GetAddressBytes()); // upper case, as RFC 7208 §7.4's example
        return string.Join('.', hex.ToCharArray());
    }
}
