using System.Text;
using System.Text.RegularExpressions;
using MailServerless.Core.Storage;

namespace MailServerless.EdgeServer.Imap;

/// <summary>
/// Mailbox names on the wire (RFC 3501 §5.1.3 modified UTF-7, hierarchy delimiter '.') and the folder
/// names of the store; LIST patterns with <c>*</c> and <c>%</c>.
/// </summary>
public static class MailboxNames
{
    /// <summary>The folder a client names; false with a reason for a name the store cannot hold.</summary>
    public static bool TryFromWire(string wire, out string folder, out string reason)
    {
        ArgumentNullException.ThrowIfNull(wire);
        folder = string.Empty;
        var name = wire.TrimEnd(MaildirLayout.Delimiter);
        // 8-bit names are taken as UTF-8 (clients that skip modified UTF-7); otherwise decode it.
        if (name.All(char.IsAscii) && !ModifiedUtf7.TryDecode(name, out name))
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

    /// <summary>The name as the client sees it: modified UTF-7, quoted when needed.</summary>
    public static string ToWire(string folder) => ImapString.AString(ModifiedUtf7.Encode(folder));

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
    public static ListPattern Pattern(string reference, string pattern)
    {
        ArgumentNullException.ThrowIfNull(reference);
        ArgumentNullException.ThrowIfNull(pattern);
        var full = NormalizeInbox(Decode(reference) + Decode(pattern));
        var regex = new StringBuilder("^");
        foreach (var c in full)
        {
            regex.Append(c switch
            {
                '*' => ".*",
                '%' => "[^.]*",
                _ => Regex.Escape(c.ToString()),
            });
        }

        regex.Append('$');
        // Linear time whatever the pattern (a pattern of many * and % must not backtrack).
        const RegexOptions Options = RegexOptions.CultureInvariant | RegexOptions.Singleline | RegexOptions.NonBacktracking;
        return new ListPattern(
            new Regex(regex.ToString(), Options, TimeSpan.FromSeconds(1)),
            new Regex(regex.ToString(), Options | RegexOptions.IgnoreCase, TimeSpan.FromSeconds(1)));
    }

    private static string Decode(string wire) => wire.All(char.IsAscii) && ModifiedUtf7.TryDecode(wire, out var decoded) ? decoded : wire;
}

/// <summary>A compiled LIST pattern.</summary>
public sealed class ListPattern(Regex exact, Regex ignoringCase)
{
    public bool IsMatch(string folder) =>
        exact.IsMatch(folder) || (MaildirLayout.IsInbox(folder) && ignoringCase.IsMatch(folder));
}
