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
        if (entity is Multipart multipart && multipart.Count > 0)
        {
            builder.Append('(');
            foreach (var child in multipart)
            {
                Append(builder, content, child, extensible);
            }

            builder.Append(' ').Append(ImapString.Quote(entity.ContentType.MediaSubtype));
            if (extensible)
            {
                builder.Append(' ').Append(Parameters(entity.ContentType.Parameters));
                AppendExtension(builder, entity);
            }

            builder.Append(')');
            return;
        }

        var range = content.RangeOf(entity);
        var type = entity.ContentType;
        // An empty multipart is shown as text/plain, as Dovecot does for broken structure.
        var (mediaType, subtype) = entity is Multipart ? ("text", "plain") : (type.MediaType, type.MediaSubtype);
        builder.Append('(').Append(ImapString.Quote(mediaType)).Append(' ').Append(ImapString.Quote(subtype)).Append(' ');
        builder.Append(entity.Headers.Contains(HeaderId.ContentType) && type.Parameters.Count > 0 ? Parameters(type.Parameters)
            : mediaType.Equals("text", StringComparison.OrdinalIgnoreCase) ? "(\"charset\" \"us-ascii\")" : "NIL");
        builder.Append(' ').Append(ImapString.NString(Envelope.Raw(entity.Headers, "Content-ID")));
        builder.Append(' ').Append(ImapString.NString(Envelope.Raw(entity.Headers, "Content-Description")));
        builder.Append(' ').Append(ImapString.Quote(Envelope.Raw(entity.Headers, "Content-Transfer-Encoding") is { Length: > 0 } encoding ? encoding : "7bit"));
        builder.Append(' ').Append(Number(range.BodyLength));
        if (entity is MessagePart { Message: { } inner } && mediaType.Equals("message", StringComparison.OrdinalIgnoreCase))
        {
            builder.Append(' ').Append(Envelope.Format(inner.Headers)).Append(' ');
            Append(builder, content, inner.Body ?? new TextPart("plain"), extensible);
            builder.Append(' ').Append(Number(range.Lines));
        }
        else if (mediaType.Equals("text", StringComparison.OrdinalIgnoreCase))
        {
            builder.Append(' ').Append(Number(range.Lines));
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
        if (entity.ContentDisposition is { } disposition)
        {
            builder.Append('(').Append(ImapString.Quote(disposition.Disposition)).Append(' ')
                .Append(Parameters(disposition.Parameters)).Append(')');
        }
        else
        {
            builder.Append("NIL");
        }

        builder.Append(' ').Append(ImapString.NString(Envelope.Raw(entity.Headers, "Content-Language")));
        builder.Append(' ').Append(ImapString.NString(Envelope.Raw(entity.Headers, "Content-Location")));
    }

    private static string Parameters(ParameterList parameters)
    {
        if (parameters.Count == 0)
        {
            return "NIL";
        }

        return "(" + string.Join(' ', parameters.Select(p => ImapString.Quote(p.Name) + " " + ImapString.Quote(p.Value ?? string.Empty))) + ")";
    }

    private static string Number(int value) => value.ToString(CultureInfo.InvariantCulture);
}
