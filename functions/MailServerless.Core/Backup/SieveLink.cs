using MailServerless.Core.Storage;

namespace MailServerless.Core.Backup;

/// <summary>
/// The one symbolic link a Maildir holds: <c>~/.dovecot.sieve</c>, naming the active Sieve script as
/// <c>sieve/NAME.sieve</c> (Pigeonhole's layout, <see cref="SieveScriptStore"/>). It is the only link written into an
/// archive or made by a restore, and only with exactly that shape of target: every other link is left out on backup
/// and refused on restore, so a link can never lead a restore's writes (or a reader) outside the mailbox.
/// </summary>
internal static class SieveLink
{
    private const string Extension = ".sieve";

    public static bool IsLinkName(string fileName) => string.Equals(fileName, SieveScriptStore.ActiveLink, StringComparison.Ordinal);

    /// <summary>True for <c>sieve/NAME.sieve</c> with a valid script name: relative, one level down, nothing else.</summary>
    public static bool IsValidTarget(string? target)
    {
        if (target is null)
        {
            return false;
        }

        var parts = target.Split('/');
        return parts is [SieveScriptStore.Directory, var file] &&
               file.EndsWith(Extension, StringComparison.Ordinal) &&
               SieveScriptStore.IsValidName(file[..^Extension.Length]);
    }
}
