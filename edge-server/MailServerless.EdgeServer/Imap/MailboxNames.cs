using MailServerless.Core.Storage;

namespace MailServerless.EdgeServer.Imap;

/// <summary>
/// Mailbox names on the wire (RFC 3501 §5.1.3 modified UTF-7, hierarchy delimiter '.'; UTF-8 as it stands once the
/// session turned UTF8=ACCEPT or IMAP4rev2 on, RFC 6855 §3 and RFC 9051 §5.1) and the folder names of the store;
/// LIST patterns with <c>*</c> and <c>%</c>.
/// </summary>
public static class MailboxNames
{
    /// <summary>The folder a client names; false with a reason for a name the store cannot hold.</summary>
    public static bool TryFromWire(string wire, bool utf8, out string folder, out string reason)
    {
        ArgumentNullException.ThrowIfNull(wire);
        folder = string.Empty;
        var name = wire.TrimEnd(MaildirLayout.Delimiter);
        // 8-bit names are taken as UTF-8 (clients that skip modified UTF-7); otherwise decode it. A UTF-8 session's
        // names are what they say: "&" is a character there, not the start of an escape.
        if (!utf8 && name.All(char.IsAscii) && !ModifiedUtf7.TryDecode(name, out name))
        {
            reason = "Mailbox name is not valid modified UTF-7.";
            return false;
        }

        name = NormalizeInbox(name);
        if (!MaildirLayout.IsValidFolderName(name, out var invalid))
        {
            reason = "Invalid mailbox name: " + invalid + ".";
            return false;
        }

        folder = name;
        reason = string.Empty;
        return true;
    }

    /// <summary>The name as the client sees it: modified UTF-7 (UTF-8 in a UTF-8 session), quoted when needed.</summary>
    public static string ToWire(string folder, bool utf8) =>
        utf8 ? ImapString.AString(folder, utf8: true) : ImapString.AString(ModifiedUtf7.Encode(folder));

    /// <summary>
    /// The name inside a response's text: modified UTF-7 as the client wrote it, so a name in Japanese is not
    /// sent as "???" (resp-text is 7-bit, RFC 3501 §9).
    /// </summary>
    public static string InText(string folder) => ModifiedUtf7.Encode(folder);

    /// <summary>INBOX is case-insensitive (RFC 3501 §5.1), also as the first level of a longer name.</summary>
    public static string NormalizeInbox(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (MaildirLayout.IsInbox(name))
        {
            return MaildirLayout.Inbox;
        }

        return name.StartsWith("INBOX.", StringComparison.OrdinalIgnoreCase) ? MaildirLayout.Inbox + name[5..] : name;
    }

    /// <summary>
    /// A LIST pattern: <c>*</c> matches anything, <c>%</c> anything but the delimiter; case matters, except
    /// for INBOX, which matches in any case (<c>in%</c> finds it, as with Dovecot).
    /// </summary>
    public static ListPattern Pattern(string reference, string pattern, bool utf8)
    {
        ArgumentNullException.ThrowIfNull(reference);
        ArgumentNullException.ThrowIfNull(pattern);
        return new ListPattern(NormalizeInbox(Decode(reference, utf8) + Decode(pattern, utf8)));
    }

    private static string Decode(string wire, bool utf8) =>
        !utf8 && wire.All(char.IsAscii) && ModifiedUtf7.TryDecode(wire, out var decoded) ? decoded : wire;
}

/// <summary>
/// A LIST pattern, matched by walking all its positions at once over the name (a Thompson NFA): at most
/// (pattern + 1) × (name + 1) steps whatever the pattern, so a pattern of many <c>*</c> and <c>%</c> cannot
/// make a client's LIST expensive, as backtracking would.
/// </summary>
public sealed class ListPattern(string pattern)
{
    public bool IsMatch(string folder) => IsMatch(folder, out _);

    /// <summary>Whether <paramref name="folder"/> matches; <paramref name="steps"/> counts the positions visited.</summary>
    public bool IsMatch(string folder, out long steps)
    {
        ArgumentNullException.ThrowIfNull(folder);
        steps = 0;
        if (Matches(folder, ignoreCase: false, ref steps))
        {
            return true;
        }

        return MaildirLayout.IsInbox(folder) && Matches(folder, ignoreCase: true, ref steps);
    }

    private bool Matches(string folder, bool ignoreCase, ref long steps)
    {
        // live[i]: the first i characters of the pattern can match what was read so far.
        var live = new bool[pattern.Length + 1];
        var next = new bool[pattern.Length + 1];
        live[0] = true;
        Close(live, ref steps);
        foreach (var c in folder)
        {
            Array.Clear(next);
            var any = false;
            for (var i = 0; i < pattern.Length; i++)
            {
                steps++;
                if (!live[i])
                {
                    continue;
                }

                var p = pattern[i];
                if (p == '*' || (p == '%' && c != MaildirLayout.Delimiter))
                {
                    next[i] = any = true; // a wildcard takes this character and stays
                }
                else if (p != '%' && (p == c || (ignoreCase && char.ToUpperInvariant(p) == char.ToUpperInvariant(c))))
                {
                    next[i + 1] = any = true;
                }
            }

            if (!any)
            {
                return false;
            }

            (live, next) = (next, live);
            Close(live, ref steps);
        }

        return live[pattern.Length];
    }

    /// <summary>A wildcard may also match nothing: whoever stands before one stands after it too.</summary>
    private void Close(bool[] live, ref long steps)
    {
        for (var i = 0; i < pattern.Length; i++)
        {
            steps++;
            if (live[i] && pattern[i] is '*' or '%')
            {
                live[i + 1] = true;
            }
        }
    }
}
