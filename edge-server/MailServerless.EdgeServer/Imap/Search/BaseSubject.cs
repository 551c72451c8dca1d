using System.Text;
using MimeKit.Utils;

namespace MailServerless.EdgeServer.Imap.Search;

/// <summary>
/// The base subject of RFC 5256 §2.1, which SORT SUBJECT and THREAD compare: RFC 2047 words decoded, white space
/// runs made one space, then trailers ("(fwd)"), leaders ("Re:", "Fw:", "Fwd:", with "[blob]"s) and a "[Fwd: …]"
/// wrapper taken off until none is left. The text is only narrowed (two indices, no copies), and a run of blobs
/// not followed by a leader goes in one step, so the whole is linear in the subject.
/// </summary>
public static class BaseSubject
{
    public static string Of(string? rawSubject, out bool isReplyOrForward)
    {
        isReplyOrForward = false;
        if (string.IsNullOrEmpty(rawSubject))
        {
            return string.Empty;
        }

        // (1) Decoded, every run of white space one space.
        var text = Collapse(Rfc2047.DecodeText(Encoding.UTF8.GetBytes(rawSubject)));
        var (start, end) = (0, text.Length);
        while (true)
        {
            // (2) Trailing "(fwd)" and white space.
            while (end > start)
            {
                if (text[end - 1] == ' ')
                {
                    end--;
                }
                else if (end - start >= 5 && string.Compare(text, end - 5, "(fwd)", 0, 5, StringComparison.OrdinalIgnoreCase) == 0)
                {
                    end -= 5;
                    isReplyOrForward = true;
                }
                else
                {
                    break;
                }
            }

            // (3) Leaders, and (4) leading blobs when something is left after them.
            while (start < end)
            {
                if (text[start] == ' ')
                {
                    start++;
                }
                else if (Leader(text, start, end) is { } leaderEnd)
                {
                    start = leaderEnd;
                    isReplyOrForward = true;
                }
                else if (Blobs(text, start, end, out var lastBlob) is var blobsEnd && blobsEnd > start)
                {
                    // No leader after this run of blobs, so step 3 would never match behind them: all go at once,
                    // except the last when nothing but blobs is left.
                    var rest = blobsEnd;
                    while (rest < end && text[rest] == ' ')
                    {
                        rest++;
                    }

                    if (rest < end)
                    {
                        start = blobsEnd;
                    }
                    else if (lastBlob > start)
                    {
                        start = lastBlob;
                    }
                    else
                    {
                        break;
                    }
                }
                else
                {
                    break;
                }
            }

            // (5) "[fwd:" subject "]".
            if (end - start >= 6 && string.Compare(text, start, "[fwd:", 0, 5, StringComparison.OrdinalIgnoreCase) == 0 && text[end - 1] == ']')
            {
                start += 5;
                end--;
                isReplyOrForward = true;
                continue;
            }

            return text[start..end].Trim(' ');
        }
    }

    /// <summary>subj-refwd after any blobs: *subj-blob ("re" / "fw" / "fwd") *WSP [subj-blob] ":"; where it ends, or null.</summary>
    private static int? Leader(string text, int start, int end)
    {
        var position = Blobs(text, start, end, out _);
        int word;
        if (At(text, position, end, "re"))
        {
            word = 2;
        }
        else if (At(text, position, end, "fwd"))
        {
            word = 3;
        }
        else if (At(text, position, end, "fw"))
        {
            word = 2;
        }
        else
        {
            return null;
        }

        position += word;
        while (position < end && text[position] == ' ')
        {
            position++;
        }

        position = Blob(text, position, end);
        return position < end && text[position] == ':' ? position + 1 : null;
    }

    /// <summary>Consecutive blobs from <paramref name="start"/>: where they end, and where the last one begins.</summary>
    private static int Blobs(string text, int start, int end, out int lastBlob)
    {
        lastBlob = start;
        var position = start;
        while (Blob(text, position, end) is var next && next > position)
        {
            lastBlob = position;
            position = next;
        }

        return position;
    }

    /// <summary>subj-blob at <paramref name="start"/>: "[" *BLOBCHAR "]" *WSP; where it ends, or <paramref name="start"/> when there is none.</summary>
    private static int Blob(string text, int start, int end)
    {
        if (start >= end || text[start] != '[')
        {
            return start;
        }

        var close = text.IndexOfAny(['[', ']'], start + 1, end - start - 1);
        if (close < 0 || text[close] != ']')
        {
            return start;
        }

        var after = close + 1;
        while (after < end && text[after] == ' ')
        {
            after++;
        }

        return after;
    }

    private static bool At(string text, int position, int end, string word) =>
        position + word.Length <= end && string.Compare(text, position, word, 0, word.Length, StringComparison.OrdinalIgnoreCase) == 0;

    private static string Collapse(string text)
    {
        var builder = new StringBuilder(text.Length);
        var space = false;
        foreach (var c in text)
        {
            if (c is ' ' or '\t' or '\r' or '\n')
            {
                space = true;
                continue;
            }

            if (space && builder.Length > 0)
            {
                builder.Append(' ');
            }

            space = false;
            builder.Append(c);
        }

        if (space)
        {
            builder.Append(' ');
        }

        return builder.ToString();
    }
}
