using System.Globalization;
using System.Text;
using MimeKit;

namespace MailServerless.EdgeServer.Imap.Fetch;

/// <summary>
/// BODY and BODYSTRUCTURE (RFC 3501 §7.4.2) from MimeKit's parse, with sizes and line counts taken
/// from the stored octets. BODYSTRUCTURE adds the extension data (MD5, disposition, language, location).
/// </summary>
public static class BodyStructure
{
    public static string Format(MessageContent content, bool extensible)
    {
        ArgumentNullException.ThrowIfNull(content);
        var builder = new StringBuilder();
        Append(builder, content, content.Message.Body ?? new TextPart("plain"), extensible);
        return builder.ToString();
    }

    private static void Append(StringBuilder builder, MessageContent content, MimeEntity entity, bool extensible)
    {
        var written = Envelope.Raw(entity.Headers, "Content-Type") is { } raw ? MimeFieldValue.Parse(raw, withSubtype: true) : null;
        if (entity is Multipart multipart)
        {
            builder.Append('(');
            foreach (var child in multipart)
            {
                Append(builder, content, child, extensible);
            }

            if (multipart.Count == 0)
            {
                // A multipart without parts (no boundary, or one that never comes) holds one empty text part, as Dovecot shows it.
                builder.Append(extensible ? EmptyPart + " NIL NIL NIL NIL)" : EmptyPart + ")");
            }

            builder.Append(' ').Append(ImapString.Quote(written is { Subtype.Length: > 0 } ? written.Subtype : entity.ContentType.MediaSubtype));
            if (extensible)
            {
                builder.Append(' ').Append(Parameters(written?.Parameters ?? [], defaultCharset: false));
                AppendExtension(builder, entity);
            }

            builder.Append(')');
            return;
        }

        var range = content.RangeOf(entity);
        var (mediaType, subtype) = written is null ? (entity.ContentType.MediaType, entity.ContentType.MediaSubtype) : (written.Type, written.Subtype);
        builder.Append('(').Append(ImapString.Quote(mediaType)).Append(' ').Append(ImapString.Quote(subtype)).Append(' ');
        builder.Append(Parameters(written?.Parameters ?? [], defaultCharset: mediaType.Equals("text", StringComparison.OrdinalIgnoreCase)));
        builder.Append(' ').Append(ImapString.NString(Envelope.Raw(entity.Headers, "Content-ID")));
        builder.Append(' ').Append(ImapString.NString(Envelope.Raw(entity.Headers, "Content-Description")));
        builder.Append(' ').Append(ImapString.Quote(Envelope.Raw(entity.Headers, "Content-Transfer-Encoding") is { Length: > 0 } encoding ? encoding : "7bit"));
        builder.Append(' ').Append(Number(range.BodyLength));
        if (entity is MessagePart { Message: { } inner } && mediaType.Equals("message", StringComparison.OrdinalIgnoreCase))
        {
            builder.Append(' ').Append(Envelope.Format(inner.Headers)).Append(' ');
            Append(builder, content, inner.Body ?? new TextPart("plain"), extensible);
            builder.Append(' ').Append(Number(content.LinesOf(range)));
        }
        else if (mediaType.Equals("text", StringComparison.OrdinalIgnoreCase))
        {
            builder.Append(' ').Append(Number(content.LinesOf(range)));
        }

        if (extensible)
        {
            builder.Append(' ').Append(ImapString.NString(Envelope.Raw(entity.Headers, "Content-MD5")));
            AppendExtension(builder, entity);
        }

        builder.Append(')');
    }

    /// <summary>Disposition, language and location.</summary>
    private static void AppendExtension(StringBuilder builder, MimeEntity entity)
    {
        builder.Append(' ');
        if (Envelope.Raw(entity.Headers, "Content-Disposition") is { } raw && MimeFieldValue.Parse(raw, withSubtype: false) is { } disposition)
        {
            builder.Append('(').Append(ImapString.Quote(disposition.Type)).Append(' ')
                .Append(Parameters(disposition.Parameters, defaultCharset: false)).Append(')');
        }
        else
        {
            builder.Append("NIL");
        }

        var languages = Envelope.Raw(entity.Headers, "Content-Language") is { } language ? MimeFieldValue.TokenList(language) : [];
        builder.Append(' ').Append(languages.Count == 0 ? "NIL" : "(" + string.Join(' ', languages.Select(l => ImapString.Quote(l))) + ")");
        builder.Append(' ').Append(ImapString.NString(Envelope.Raw(entity.Headers, "Content-Location")));
    }

    /// <summary>The parameter list; a text part without a charset gets us-ascii (RFC 2045 §5.2), after the others, as Dovecot writes it.</summary>
    private static string Parameters(IReadOnlyList<KeyValuePair<string, string>> parameters, bool defaultCharset)
    {
        var items = parameters.Select(p => ImapString.Quote(p.Key) + " " + ImapString.Quote(p.Value)).ToList();
        if (defaultCharset && !parameters.Any(p => p.Key.Equals("charset", StringComparison.OrdinalIgnoreCase)))
        {
            items.Add("\"charset\" \"us-ascii\"");
        }

        return items.Count == 0 ? "NIL" : "(" + string.Join(' ', items) + ")";
    }

    /// <summary>An empty text/plain part (BODY form).</summary>
    private const string EmptyPart = "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0";

    private static string Number(int value) => value.ToString(CultureInfo.InvariantCulture);
}
