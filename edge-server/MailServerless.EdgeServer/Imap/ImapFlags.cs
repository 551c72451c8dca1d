using MailServerless.Core.Storage;
using MailServerless.EdgeServer.Imap.Parsing;

namespace MailServerless.EdgeServer.Imap;

/// <summary>IMAP flags (RFC 3501 §2.3.2) and the Maildir flags and keywords they are stored as.</summary>
public static class ImapFlags
{
    /// <summary>Maildir's P (passed) flag, as Dovecot shows it.</summary>
    public const string Forwarded = MessageFlagNames.Forwarded;

    public const string PermanentFlags = @"(\Answered \Flagged \Deleted \Seen \Draft \*)";

    public const string DefinedFlags = @"(\Answered \Flagged \Deleted \Seen \Draft)";

    public static string Format(MaildirMessage message, bool recent)
    {
        ArgumentNullException.ThrowIfNull(message);
        var names = new List<string>(6);
        if (message.Flags.HasFlag(MessageFlags.Answered)) names.Add(@"\Answered");
        if (message.Flags.HasFlag(MessageFlags.Flagged)) names.Add(@"\Flagged");
        if (message.Flags.HasFlag(MessageFlags.Deleted)) names.Add(@"\Deleted");
        if (message.Flags.HasFlag(MessageFlags.Seen)) names.Add(@"\Seen");
        if (message.Flags.HasFlag(MessageFlags.Draft)) names.Add(@"\Draft");
        if (recent) names.Add(@"\Recent");
        if (message.Flags.HasFlag(MessageFlags.Passed)) names.Add(Forwarded);
        names.AddRange(message.Keywords);
        return "(" + string.Join(' ', names) + ")";
    }

    /// <summary>Flags and keywords from a flag list; \Recent (which cannot be set) or a bad flag is a syntax error.</summary>
    public static (MessageFlags Flags, List<string> Keywords) Parse(IEnumerable<ImapToken> tokens)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        var flags = MessageFlags.None;
        var keywords = new List<string>();
        foreach (var token in tokens)
        {
            if (token.Kind != ImapTokenKind.Atom)
            {
                throw new ImapSyntaxException("Invalid flag.");
            }

            if (token.Text.Equals(@"\Recent", StringComparison.OrdinalIgnoreCase))
            {
                // RFC 3501 §9: flag (STORE, APPEND) excludes \Recent; the server alone sets it.
                throw new ImapSyntaxException(@"\Recent cannot be set.");
            }

            if (MessageFlagNames.SystemFlag(token.Text) is { } flag)
            {
                flags |= flag;
            }
            else if (!MessageFlagNames.IsKeyword(token.Text))
            {
                throw new ImapSyntaxException($"Invalid flag {token.Text}.");
            }
            else if (!keywords.Contains(token.Text, StringComparer.OrdinalIgnoreCase))
            {
                keywords.Add(token.Text);
            }
        }

        return (flags, keywords);
    }
}
