namespace MailServerless.Core.Storage;

/// <summary>IMAP flag names (RFC 3501 §2.3.2) as a Maildir stores them: system flags as letters, the rest as keywords.</summary>
public static class MessageFlagNames
{
    /// <summary>Dovecot shows Maildir's P (passed) flag as this keyword.</summary>
    public const string Forwarded = "$Forwarded";

    /// <summary>The system flag a name stands for, if it is one (case-insensitive); <c>\Recent</c> is none, it cannot be set.</summary>
    public static MessageFlags? SystemFlag(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return name.ToUpperInvariant() switch
        {
            @"\SEEN" => MessageFlags.Seen,
            @"\ANSWERED" => MessageFlags.Answered,
            @"\FLAGGED" => MessageFlags.Flagged,
            @"\DELETED" => MessageFlags.Deleted,
            @"\DRAFT" => MessageFlags.Draft,
            "$FORWARDED" => MessageFlags.Passed,
            _ => null,
        };
    }

    /// <summary>Whether a name may be a keyword: an IMAP atom, not a system flag (RFC 3501 §9, flag-keyword).</summary>
    public static bool IsKeyword(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return name.Length > 0 && !name.StartsWith('\\') &&
               name.All(c => c is > ' ' and < (char)0x7f and not ('(' or ')' or '{' or '*' or '%' or '"' or ']' or '\\'));
    }

    /// <summary>The flags and keywords of a list of names; names that are neither (<c>\Recent</c>, <c>\Bogus</c>, "a b") are skipped.</summary>
    public static (MessageFlags Flags, IReadOnlyList<string> Keywords) Parse(IEnumerable<string> names)
    {
        ArgumentNullException.ThrowIfNull(names);
        var flags = MessageFlags.None;
        var keywords = new List<string>();
        foreach (var name in names)
        {
            if (SystemFlag(name) is { } flag)
            {
                flags |= flag;
            }
            else if (IsKeyword(name) && !keywords.Contains(name, StringComparer.OrdinalIgnoreCase))
            {
                keywords.Add(name);
            }
        }

        return (flags, keywords);
    }
}
