using System.Text;
using MailServerless.Core.Sieve;

namespace MailServerless.Functions;

/// <summary>
/// editheader's changes (RFC 5293) made to the copy that is stored: the deleted fields left out, the added ones
/// written at the top (the latest first) or, with <c>:last</c>, at the end of the header. Everything else stays byte
/// for byte as it came.
/// </summary>
internal static class SieveHeaderChanges
{
    public static bool Any(SieveResult result) => result.AddedHeaders.Count > 0 || result.DeletedHeaders.Count > 0;

    public static byte[] Apply(byte[] message, SieveResult result)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(result);
        var newline = Array.IndexOf(message, (byte)'\n') is var lf and > 0 && message[lf - 1] == '\r' ? "\r\n" : "\n";
        var (fields, bodyStart) = Fields(message);
        var output = new MemoryStream(message.Length + 256);
        foreach (var added in result.AddedHeaders.Where(h => !h.Last).Reverse())
        {
            Write(output, Field(added, newline));
        }

        var seen = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, start, length) in fields)
        {
            var index = seen.GetValueOrDefault(name);
            seen[name] = index + 1;
            if (!result.DeletedHeaders.Any(d => d.Index == index && d.Name.Equals(name, StringComparison.OrdinalIgnoreCase)))
            {
                output.Write(message, start, length);
            }
        }

        foreach (var added in result.AddedHeaders.Where(h => h.Last))
        {
            Write(output, Field(added, newline));
        }

        output.Write(message, bodyStart, message.Length - bodyStart);
        return output.ToArray();
    }

    /// <summary>The header's fields (a field runs until the next line that does not start with white space) and where the body begins (at its blank line).</summary>
    private static (List<(string Name, int Start, int Length)> Fields, int BodyStart) Fields(byte[] message)
    {
        var fields = new List<(string Name, int Start, int Length)>();
        var position = 0;
        while (position < message.Length)
        {
            if (message[position] is (byte)'\r' or (byte)'\n')
            {
                return (fields, position); // the blank line
            }

            var start = position;
            do
            {
                var end = Array.IndexOf(message, (byte)'\n', position);
                position = end < 0 ? message.Length : end + 1;
            }
            while (position < message.Length && message[position] is (byte)' ' or (byte)'\t');

            var colon = Array.IndexOf(message, (byte)':', start, position - start);
            var name = colon < 0 ? string.Empty : Encoding.ASCII.GetString(message, start, colon - start).Trim();
            fields.Add((name, start, position - start));
        }

        return (fields, message.Length);
    }

    /// <summary>An added field, its value encoded (RFC 2047) and folded by MimeKit when it is not plain ASCII text.</summary>
    private static string Field(SieveAddedHeader added, string newline)
    {
        var value = string.Join(' ', added.Value.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries));
        var header = new MimeKit.Header(Encoding.UTF8, added.Name, value);
        var raw = Encoding.UTF8.GetString(header.RawValue).ReplaceLineEndings(newline);
        return added.Name + ":" + (raw.EndsWith(newline, StringComparison.Ordinal) ? raw : raw + newline);
    }

    private static void Write(MemoryStream output, string text) => output.Write(Encoding.UTF8.GetBytes(text));
}
