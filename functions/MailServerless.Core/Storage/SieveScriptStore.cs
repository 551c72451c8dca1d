using System.Text;

namespace MailServerless.Core.Storage;

/// <summary>
/// A mailbox's Sieve scripts where Dovecot Pigeonhole keeps them: <c>~/sieve/NAME.sieve</c>, the active one linked
/// from <c>~/.dovecot.sieve</c> (a relative symbolic link), <c>~</c> the mailbox's Maildir. Names are checked (RFC 5804
/// §1.6) before any path is built from them; files are written whole (a temporary file renamed) and private (0600).
/// </summary>
public sealed class SieveScriptStore(string mailboxRoot)
{
    public const string Directory = "sieve";
    public const string ActiveLink = ".dovecot.sieve";

    private string Folder => Path.Combine(mailboxRoot, Directory);

    /// <summary>RFC 5804 §1.6: no control characters, no "/", at most 1024 characters; and not starting with a dot.</summary>
    public static bool IsValidName(string name) =>
        name.Length is > 0 and <= 1024 && !name.StartsWith('.') && !name.Any(c => char.IsControl(c) || c is '/' or '\\') &&
        Encoding.UTF8.GetByteCount(name) <= 1024;

    /// <summary>Each script's name and whether it is the active one.</summary>
    public IReadOnlyList<(string Name, bool Active)> List()
    {
        if (!System.IO.Directory.Exists(Folder))
        {
            return [];
        }

        var active = ActiveName();
        return System.IO.Directory.EnumerateFiles(Folder, "*.sieve")
            .Select(p => Path.GetFileNameWithoutExtension(p))
            .Where(IsValidName)
            .Order(StringComparer.Ordinal)
            .Select(n => (n, n == active))
            .ToList();
    }

    /// <summary>The active script's name, or null when none is active (or the link leads outside <c>~/sieve</c>).</summary>
    public string? ActiveName()
    {
        var link = new FileInfo(Path.Combine(mailboxRoot, ActiveLink));
        if (link.LinkTarget is not { } target)
        {
            return null;
        }

        var full = Path.GetFullPath(Path.Combine(mailboxRoot, target));
        return Path.GetDirectoryName(full) == Path.GetFullPath(Folder) && full.EndsWith(".sieve", StringComparison.Ordinal) && File.Exists(full)
            ? Path.GetFileNameWithoutExtension(full)
            : null;
    }

    public string? Read(string name) => IsValidName(name) && File.Exists(PathOf(name)) ? File.ReadAllText(PathOf(name)) : null;

    public bool Exists(string name) => IsValidName(name) && File.Exists(PathOf(name));

    /// <summary>Bytes used by all scripts, and how many there are.</summary>
    public (long Bytes, int Count) Usage()
    {
        if (!System.IO.Directory.Exists(Folder))
        {
            return (0, 0);
        }

        var files = System.IO.Directory.EnumerateFiles(Folder, "*.sieve").Select(f => new FileInfo(f)).ToList();
        return (files.Sum(f => f.Length), files.Count);
    }

    public void Write(string name, string script)
    {
        EnsureFolder();
        var temp = Path.Combine(Folder, $".tmp-{Guid.NewGuid():N}");
        File.WriteAllText(temp, script, new UTF8Encoding(false));
        File.Move(temp, PathOf(name), overwrite: true);
    }

    public void Delete(string name) => File.Delete(PathOf(name));

    public void Rename(string from, string to) => File.Move(PathOf(from), PathOf(to));

    /// <summary>Makes <paramref name="name"/> the active script; null deactivates (removes the link).</summary>
    public void Activate(string? name)
    {
        var link = Path.Combine(mailboxRoot, ActiveLink);
        var temp = Path.Combine(mailboxRoot, $".dovecot.sieve.tmp-{Guid.NewGuid():N}");
        if (name is null)
        {
            File.Delete(link);
            return;
        }

        // A new link renamed over the old one: delivery never sees no link in between.
        File.CreateSymbolicLink(temp, Path.Combine(Directory, name + ".sieve"));
        File.Move(temp, link, overwrite: true);
    }

    private void EnsureFolder()
    {
        System.IO.Directory.CreateDirectory(mailboxRoot);
        System.IO.Directory.CreateDirectory(Folder);
    }

    private string PathOf(string name) =>
        IsValidName(name) ? Path.Combine(Folder, name + ".sieve") : throw new ArgumentException($"'{name}' is not a script name", nameof(name));
}
