using System.Globalization;
using System.Text;

namespace MailServerless.Core.Storage;

/// <summary>
/// Dovecot's <c>dovecot-keywords</c>: which IMAP keyword each file-name letter stands for,
/// one <c>"&lt;index&gt; &lt;keyword&gt;"</c> line each, index 0 = 'a' … 25 = 'z'.
/// </summary>
public sealed class KeywordList
{
    public const string FileName = "dovecot-keywords";
    public const int MaxKeywords = 26;

    private readonly string?[] _names = new string?[MaxKeywords];

    public KeywordList Clone()
    {
        var copy = new KeywordList();
        Array.Copy(_names, copy._names, MaxKeywords);
        return copy;
    }

    public static KeywordList Load(string folderPath)
    {
        var list = new KeywordList();
        var path = Path.Combine(folderPath, FileName);
        if (!File.Exists(path))
        {
            return list;
        }

        foreach (var line in File.ReadAllLines(path, Encoding.UTF8))
        {
            var space = line.IndexOf(' ', StringComparison.Ordinal);
            if (space > 0 &&
                int.TryParse(line.AsSpan(0, space), NumberStyles.None, CultureInfo.InvariantCulture, out var index) &&
                index < MaxKeywords && line.Length > space + 1)
            {
                list._names[index] = line[(space + 1)..];
            }
        }

        return list;
    }

    /// <summary>Every keyword the folder has a letter for, in letter order.</summary>
    public IReadOnlyList<string> All => _names.OfType<string>().ToList();

    /// <summary>The keywords a file name's letters stand for (unknown letters are skipped).</summary>
    public IReadOnlyList<string> Names(string letters) =>
        letters.Select(c => c - 'a').Where(i => i is >= 0 and < MaxKeywords && _names[i] is not null)
            .Select(i => _names[i]!).ToList();

    /// <summary>The letters for keywords that all have one already (a letter, once given, keeps its keyword); else null.</summary>
    public string? KnownLetters(IReadOnlyCollection<string> keywords)
    {
        var letters = new StringBuilder(keywords.Count);
        foreach (var keyword in keywords)
        {
            var index = Array.FindIndex(_names, n => string.Equals(n, keyword, StringComparison.OrdinalIgnoreCase));
            if (index < 0)
            {
                return null;
            }

            letters.Append((char)('a' + index));
        }

        return letters.ToString();
    }

    /// <summary>The letters for keywords, adding new ones to the file; <see cref="KeywordLimitException"/> past 26.</summary>
    public string LettersFor(IEnumerable<string> keywords, string folderPath)
    {
        var letters = new StringBuilder();
        var added = false;
        foreach (var keyword in keywords)
        {
            var index = Array.FindIndex(_names, n => string.Equals(n, keyword, StringComparison.OrdinalIgnoreCase));
            if (index < 0)
            {
                index = Array.IndexOf(_names, null);
                if (index < 0)
                {
                    // Dovecot's Maildir has 26 letters for keywords; refuse rather than drop it silently.
                    throw new KeywordLimitException(keyword);
                }

                _names[index] = keyword;
                added = true;
            }

            letters.Append((char)('a' + index));
        }

        if (added)
        {
            Save(folderPath);
        }

        return letters.ToString();
    }

    private void Save(string folderPath)
    {
        var content = new StringBuilder();
        for (var i = 0; i < MaxKeywords; i++)
        {
            if (_names[i] is { } name)
            {
                content.Append(i.ToString(CultureInfo.InvariantCulture)).Append(' ').Append(name).Append('\n');
            }
        }

        AtomicFile.Replace(Path.Combine(folderPath, FileName), Path.Combine(folderPath, "tmp"), content.ToString());
    }
}

/// <summary>A new keyword does not fit: the folder has its 26 already.</summary>
public sealed class KeywordLimitException(string keyword) : Exception($"no room for keyword '{keyword}': a folder holds {KeywordList.MaxKeywords}");
