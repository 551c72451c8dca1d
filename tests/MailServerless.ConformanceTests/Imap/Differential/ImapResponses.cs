using System.Globalization;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;
using MailServerless.Testing;

namespace MailServerless.ConformanceTests.Imap.Differential;

/// <summary>
/// Reads IMAP responses as octets and puts FETCH data into one canonical text per item, so that two servers'
/// answers compare equal whenever they carry the same values: a string is the same whether sent quoted or as a
/// literal (RFC 3501 §4.3), item names compare without regard to case.
/// </summary>
internal static class ImapResponses
{
    /// <summary>Splits a transcript into responses, each a line with its literals inlined.</summary>
    public static List<byte[]> Split(byte[] transcript)
    {
        var responses = new List<byte[]>();
        var position = 0;
        while (position < transcript.Length)
        {
            var start = position;
            while (true)
            {
                var newline = Array.IndexOf(transcript, (byte)'\n', position);
                if (newline < 0)
                {
                    position = transcript.Length;
                    break;
                }

                position = newline + 1;
                if (LiteralLength(transcript, newline) is not { } length)
                {
                    break;
                }

                position = Math.Min(transcript.Length, position + length);
            }

            responses.Add(transcript[start..position]);
        }

        return responses;
    }

    /// <summary>Logs in to our server's IMAPS port as <paramref name="user"/>, runs the commands one after another and returns every response.</summary>
    public static async Task<List<byte[]>> SessionAsync(int imaps, string user, IEnumerable<string> commands, TimeSpan timeout)
    {
        using var client = new TcpClient();
        await client.ConnectAsync("127.0.0.1", imaps);
        await using var tls = new SslStream(client.GetStream(), false, (_, _, _, _) => true);
        await tls.AuthenticateAsClientAsync("localhost");
        using var cts = new CancellationTokenSource(timeout);
        var responses = new List<byte[]>();
        await ReadAsync(tls, cts.Token); // the greeting
        foreach (var command in new[] { $"l LOGIN {user}@example.jp {MailServerInstance.Password}" }.Concat(commands))
        {
            await tls.WriteAsync(Encoding.ASCII.GetBytes(command + "\r\n"), cts.Token);
            var tag = command.Split(' ')[0];
            while (await ReadAsync(tls, cts.Token) is { } response)
            {
                responses.Add(response);
                if (Encoding.ASCII.GetString(response).StartsWith(tag + " ", StringComparison.Ordinal))
                {
                    break;
                }
            }
        }

        return responses;
    }

    /// <summary>Reads one response (a line and the literals it announces) from a stream; null at its end.</summary>
    public static async Task<byte[]?> ReadAsync(Stream stream, CancellationToken cancellationToken)
    {
        var buffer = new List<byte>();
        var one = new byte[1];
        while (true)
        {
            if (await stream.ReadAsync(one, cancellationToken) == 0)
            {
                return buffer.Count == 0 ? null : [.. buffer];
            }

            buffer.Add(one[0]);
            if (one[0] != '\n')
            {
                continue;
            }

            var line = buffer.ToArray();
            if (LiteralLength(line, line.Length - 1) is not { } length)
            {
                return line;
            }

            var literal = new byte[length];
            await stream.ReadExactlyAsync(literal, cancellationToken);
            buffer.AddRange(literal);
        }
    }

    /// <summary>The length of the literal announced by the line ending at <paramref name="newline"/>, if it announces one.</summary>
    private static int? LiteralLength(byte[] data, int newline)
    {
        var end = newline > 0 && data[newline - 1] == '\r' ? newline - 1 : newline;
        if (end == 0 || data[end - 1] != '}')
        {
            return null;
        }

        var open = end - 2;
        while (open >= 0 && data[open] is >= (byte)'0' and <= (byte)'9')
        {
            open--;
        }

        return open >= 0 && data[open] == '{' && open < end - 2
            ? int.Parse(Encoding.ASCII.GetString(data, open + 1, end - open - 2), CultureInfo.InvariantCulture)
            : null;
    }

    /// <summary>UID → item name (upper case) → canonical value, from every <c>* n FETCH</c> response that carries a UID.</summary>
    public static SortedDictionary<uint, Dictionary<string, string>> FetchItems(IEnumerable<byte[]> responses)
    {
        var result = new SortedDictionary<uint, Dictionary<string, string>>();
        foreach (var response in responses)
        {
            var parser = new Parser(response);
            if (!parser.TryFetch(out var items) || !items.TryGetValue("UID", out var uid))
            {
                continue;
            }

            var known = result.TryGetValue(uint.Parse(uid, CultureInfo.InvariantCulture), out var existing) ? existing : [];
            foreach (var (name, value) in items)
            {
                known[name] = value;
            }

            result[uint.Parse(uid, CultureInfo.InvariantCulture)] = known;
        }

        return result;
    }

    /// <summary>The numbers of each <c>* SEARCH</c> response, in the order they came, each sorted.</summary>
    public static List<string> SearchResults(IEnumerable<byte[]> responses)
    {
        var results = new List<string>();
        foreach (var response in responses)
        {
            var text = Encoding.Latin1.GetString(response).TrimEnd('\r', '\n');
            if (text == "* SEARCH" || text.StartsWith("* SEARCH ", StringComparison.Ordinal))
            {
                results.Add(string.Join(' ', text[8..].Split(' ', StringSplitOptions.RemoveEmptyEntries)
                    .Select(n => uint.Parse(n, CultureInfo.InvariantCulture)).Order()));
            }
        }

        return results;
    }

    /// <summary>The untagged responses named (e.g. SORT, THREAD), each as its text, in the order they came.</summary>
    public static List<string> Untagged(IEnumerable<byte[]> responses, params string[] names)
    {
        return responses.Select(r => Encoding.Latin1.GetString(r).TrimEnd('\r', '\n'))
            .Where(text => names.Any(name => text == "* " + name || text.StartsWith("* " + name + " ", StringComparison.Ordinal)))
            .ToList();
    }

    /// <summary>A recursive-descent reader of one response's values (RFC 3501 §9, the parts FETCH answers use).</summary>
    private sealed class Parser(byte[] data)
    {
        private int _position;

        public bool TryFetch(out Dictionary<string, string> items)
        {
            items = [];
            var text = Encoding.Latin1.GetString(data);
            var fetch = text.IndexOf(" FETCH (", StringComparison.Ordinal);
            if (!text.StartsWith("* ", StringComparison.Ordinal) || fetch < 0)
            {
                return false;
            }

            _position = fetch + " FETCH (".Length;
            while (_position < data.Length && data[_position] != ')')
            {
                var name = ItemName().ToUpperInvariant();
                Expect(' ');
                items[name] = Value();
                if (_position < data.Length && data[_position] == ' ')
                {
                    _position++;
                }
            }

            return true;
        }

        /// <summary>A FETCH item name: an atom, with a bracketed section (spaces and lists allowed) and an origin.</summary>
        private string ItemName()
        {
            var start = _position;
            var depth = 0;
            while (_position < data.Length && (depth > 0 || data[_position] is not (byte)' ' and not (byte)')'))
            {
                depth += data[_position] switch { (byte)'[' => 1, (byte)']' => -1, _ => 0 };
                _position++;
            }

            return Encoding.Latin1.GetString(data, start, _position - start);
        }

        private string Value()
        {
            switch (data[_position])
            {
                case (byte)'(':
                    _position++;
                    var parts = new List<string>();
                    while (data[_position] != ')')
                    {
                        parts.Add(Value());
                        if (data[_position] == ' ')
                        {
                            _position++;
                        }
                    }

                    _position++;
                    return "(" + string.Join(' ', parts) + ")";
                case (byte)'"':
                    return Canonical(Quoted());
                case (byte)'{':
                    var close = Array.IndexOf(data, (byte)'}', _position);
                    var length = int.Parse(Encoding.ASCII.GetString(data, _position + 1, close - _position - 1), CultureInfo.InvariantCulture);
                    _position = close + 3; // "}\r\n"
                    var literal = data[_position..(_position + length)];
                    _position += length;
                    return Canonical(literal);
                default:
                    var start = _position;
                    while (data[_position] is not (byte)' ' and not (byte)')' and not (byte)'\r')
                    {
                        _position++;
                    }

                    return Encoding.Latin1.GetString(data, start, _position - start);
            }
        }

        private byte[] Quoted()
        {
            _position++;
            var value = new List<byte>();
            while (data[_position] != '"')
            {
                if (data[_position] == '\\')
                {
                    _position++;
                }

                value.Add(data[_position++]);
            }

            _position++;
            return [.. value];
        }

        private void Expect(char c)
        {
            if (data[_position] != c)
            {
                throw new FormatException($"'{c}' expected at {_position} in {Encoding.Latin1.GetString(data)}");
            }

            _position++;
        }

        /// <summary>A string's octets as one quoted text: printable ASCII as itself, anything else as \xNN.</summary>
        private static string Canonical(byte[] value)
        {
            var builder = new StringBuilder("\"");
            foreach (var b in value)
            {
                if (b is >= 0x20 and < 0x7f and not (byte)'"' and not (byte)'\\')
                {
                    builder.Append((char)b);
                }
                else
                {
                    builder.Append(CultureInfo.InvariantCulture, $"\\x{b:X2}");
                }
            }

            return builder.Append('"').ToString();
        }
    }
}
