using System.Text;
using MimeKit;
using MimeKit.Utils;

namespace MailServerless.EdgeServer.Imap.Fetch;

/// <summary>
/// The ENVELOPE structure (RFC 3501 §7.4.2): date, subject, from, sender, reply-to, to, cc, bcc,
/// in-reply-to, message-id. Strings are the header values as stored (unfolded, RFC 2047 words left
/// encoded, as Dovecot sends them); sender and reply-to fall back to from.
/// </summary>
public static class Envelope
{
    public static string Format(HeaderList headers)
    {
        ArgumentNullException.ThrowIfNull(headers);
        var from = Addresses(headers, "From");
        var builder = new StringBuilder("(");
        builder.Append(ImapString.NString(Raw(headers, "Date"))).Append(' ');
        builder.Append(ImapString.NString(Raw(headers, "Subject"))).Append(' ');
        builder.Append(from).Append(' ');
        builder.Append(Addresses(headers, "Sender") is var sender && sender != "NIL" ? sender : from).Append(' ');
        builder.Append(Addresses(headers, "Reply-To") is var replyTo && replyTo != "NIL" ? replyTo : from).Append(' ');
        builder.Append(Addresses(headers, "To")).Append(' ');
        builder.Append(Addresses(headers, "Cc")).Append(' ');
        builder.Append(Addresses(headers, "Bcc")).Append(' ');
        builder.Append(ImapString.NString(Raw(headers, "In-Reply-To"))).Append(' ');
        builder.Append(ImapString.NString(Raw(headers, "Message-ID")));
        return builder.Append(')').ToString();
    }

    /// <summary>The first such header's value, unfolded and trimmed; null when absent.</summary>
    public static string? Raw(HeaderList headers, string field)
    {
        ArgumentNullException.ThrowIfNull(headers);
        var index = headers.IndexOf(field);
        if (index < 0)
        {
            return null;
        }

        var text = DecodeOctets(headers[index].RawValue);
        return (text.Contains('\n', StringComparison.Ordinal)
            ? text.Replace("\r\n", string.Empty, StringComparison.Ordinal).Replace("\n", string.Empty, StringComparison.Ordinal)
            : text).Trim();
    }

    private static readonly UTF8Encoding StrictUtf8 = new(false, true);

    private static string DecodeOctets(byte[] raw)
    {
        try
        {
            return StrictUtf8.GetString(raw);
        }
        catch (DecoderFallbackException)
        {
            return Encoding.Latin1.GetString(raw);
        }
    }

    private static string Addresses(HeaderList headers, string field)
    {
        var index = headers.IndexOf(field);
        if (index < 0 || !InternetAddressList.TryParse(ParserOptions.Default, headers[index].RawValue, out var list) || list.Count == 0)
        {
            return "NIL";
        }

        var builder = new StringBuilder("(");
        foreach (var address in list)
        {
            Append(builder, address);
        }

        return builder.Append(')').ToString();
    }

    private static void Append(StringBuilder builder, InternetAddress address)
    {
        switch (address)
        {
            case MailboxAddress mailbox:
                builder.Append('(').Append(Name(mailbox.Name)).Append(" NIL ")
                    .Append(ImapString.NString(mailbox.LocalPart)).Append(' ')
                    .Append(string.IsNullOrEmpty(mailbox.Domain) ? "NIL" : ImapString.Quote(mailbox.Domain)).Append(')');
                break;
            case GroupAddress group:
                // RFC 3501 §7.4.2: a group is (NIL NIL "name" NIL), its members, then (NIL NIL NIL NIL).
                builder.Append("(NIL NIL ").Append(ImapString.Quote(group.Name ?? string.Empty)).Append(" NIL)");
                foreach (var member in group.Members)
                {
                    Append(builder, member);
                }

                builder.Append("(NIL NIL NIL NIL)");
                break;
        }
    }

    /// <summary>A display name: as it is when ASCII, else RFC 2047-encoded again (MimeKit decoded it).</summary>
    private static string Name(string? name)
    {
        if (string.IsNullOrEmpty(name))
        {
            return "NIL";
        }

        return ImapString.Quote(name.All(char.IsAscii) ? name : Encoding.ASCII.GetString(Rfc2047.EncodePhrase(Encoding.UTF8, name)));
    }
}
