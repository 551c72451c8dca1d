using System.Text;

namespace MailServerless.Core.Storage;

/// <summary>
/// Dovecot 2.3's <c>subscriptions</c> file at the mailbox root: a header <c>"V\t2\n\n"</c>, then one
/// folder per line in modified UTF-7 with the hierarchy written as a tab (<c>Foo\tBar</c>).
/// </summary>
public static class Subscriptions
{
    public const string FileName = "subscriptions";
    private const string Header = "V\t2\n\n";

    public static IReadOnlyList<string> Read(string mailboxRoot)
    {
        var path = Path.Combine(mailboxRoot, FileName);
        if (!File.Exists(path))
        {
            return [];
        }

        var lines = File.ReadAllText(path, Encoding.UTF8).Split('\n');
        // Version 2 starts with "V\t2" and an empty line; version 1 (older Dovecot, Courier) is bare names.
        var body = lines.Length > 1 && lines[0].StartsWith("V\t", StringComparison.Ordinal) ? lines.Skip(2) : lines;
        var result = new List<string>();
        foreach (var line in body)
        {
            var name = line.Replace('\t', MaildirLayout.Delimiter);
            if (name.Length > 0 && ModifiedUtf7.TryDecode(name, out var decoded) && !result.Contains(decoded, StringComparer.Ordinal))
            {
                result.Add(decoded);
            }
        }

        return result;
    }

    public static void Write(string mailboxRoot, IEnumerable<string> folders)
    {
        var content = new StringBuilder(Header);
        foreach (var folder in folders.Distinct(StringComparer.Ordinal))
        {
            content.Append(ModifiedUtf7.Encode(folder).Replace(MaildirLayout.Delimiter, '\t')).Append('\n');
        }

        AtomicFile.Replace(Path.Combine(mailboxRoot, FileName), Path.Combine(mailboxRoot, "tmp"), content.ToString());
    }
}
