using System.Globalization;
using System.Text;

namespace MailServerless.Core.Sieve;

/// <summary>
/// The grammar of RFC 5228 §8: commands, arguments, tests and blocks, with quoted and multi-line strings, comments
/// and numbers with K/M/G. Bounded: the script's size, and nesting of blocks and tests, are limited, and everything is
/// linear in the script.
/// </summary>
public sealed class SieveParser
{
    /// <summary>Pigeonhole's <c>sieve_max_script_size</c> (1 MiB).</summary>
    public const int MaxScriptSize = 1024 * 1024;

    /// <summary>Blocks and tests nested deeper than this are refused (Pigeonhole's limit is 32 for each).</summary>
    public const int MaxNesting = 32;

    private readonly string _text;
    private int _position;
    private int _line = 1;
    private int _lineStart;

    private SieveParser(string text) => _text = text;

    /// <exception cref="SieveSyntaxException">The script does not parse.</exception>
    public static IReadOnlyList<SieveCommand> Parse(string script)
    {
        ArgumentNullException.ThrowIfNull(script);
        if (Encoding.UTF8.GetByteCount(script) > MaxScriptSize)
        {
            throw new SieveSyntaxException($"script is larger than {MaxScriptSize} bytes", 1, 1);
        }

        var parser = new SieveParser(script);
        var commands = parser.Commands(0);
        parser.SkipSpace();
        if (parser._position < script.Length)
        {
            throw parser.Error("unexpected '}'");
        }

        return commands;
    }

    private List<SieveCommand> Commands(int depth)
    {
        var commands = new List<SieveCommand>();
        while (true)
        {
            SkipSpace();
            if (_position >= _text.Length || _text[_position] == '}')
            {
                return commands;
            }

            commands.Add(Command(depth));
        }
    }

    private SieveCommand Command(int depth)
    {
        var (line, column) = (_line, Column);
        var name = Identifier() ?? throw Error("expected a command");
        var (arguments, tests) = Arguments(depth);
        SkipSpace();
        if (Take(';'))
        {
            return new SieveCommand(name, arguments, tests, null, line, column);
        }

        if (Take('{'))
        {
            if (depth + 1 > MaxNesting)
            {
                throw Error($"blocks nested deeper than {MaxNesting}");
            }

            var block = Commands(depth + 1);
            SkipSpace();
            if (!Take('}'))
            {
                throw Error("expected '}'");
            }

            return new SieveCommand(name, arguments, tests, block, line, column);
        }

        throw Error($"expected ';' or '{{' after {name}");
    }

    /// <summary><c>*argument [ test / test-list ]</c>.</summary>
    private (List<SieveArgument> Arguments, List<SieveTest> Tests) Arguments(int depth)
    {
        var arguments = new List<SieveArgument>();
        while (Argument() is { } argument)
        {
            arguments.Add(argument);
        }

        SkipSpace();
        var tests = new List<SieveTest>();
        if (Take('('))
        {
            do
            {
                tests.Add(Test(depth + 1));
                SkipSpace();
            }
            while (Take(','));

            if (!Take(')'))
            {
                throw Error("expected ')' or ','");
            }
        }
        else if (_position < _text.Length && IsIdentifierStart(_text[_position]))
        {
            tests.Add(Test(depth + 1));
        }

        return (arguments, tests);
    }

    private SieveTest Test(int depth)
    {
        if (depth > MaxNesting)
        {
            throw Error($"tests nested deeper than {MaxNesting}");
        }

        SkipSpace();
        var (line, column) = (_line, Column);
        var name = Identifier() ?? throw Error("expected a test");
        var (arguments, tests) = Arguments(depth);
        return new SieveTest(name, arguments, tests, line, column);
    }

    private SieveArgument? Argument()
    {
        SkipSpace();
        if (_position >= _text.Length)
        {
            return null;
        }

        var (line, column) = (_line, Column);
        var c = _text[_position];
        if (c == ':')
        {
            _position++;
            var name = Identifier() ?? throw Error("expected a tag name after ':'");
            return new SieveTag(name, line, column);
        }

        if (char.IsAsciiDigit(c))
        {
            return Number(line, column);
        }

        if (c == '"' || StartsWithText())
        {
            return new SieveStrings([String()], false, line, column);
        }

        if (c == '[')
        {
            _position++;
            var values = new List<string>();
            do
            {
                SkipSpace();
                if (_position >= _text.Length || !(_text[_position] == '"' || StartsWithText()))
                {
                    throw Error("expected a string in the list");
                }

                values.Add(String());
                SkipSpace();
            }
            while (Take(','));

            if (!Take(']'))
            {
                throw Error("expected ']' or ','");
            }

            return new SieveStrings(values, true, line, column);
        }

        return null;
    }

    private SieveNumber Number(int line, int column)
    {
        var start = _position;
        while (_position < _text.Length && char.IsAsciiDigit(_text[_position]))
        {
            _position++;
        }

        if (!long.TryParse(_text.AsSpan(start, _position - start), NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value > uint.MaxValue)
        {
            throw Error("number too large");
        }

        if (_position < _text.Length && char.ToUpperInvariant(_text[_position]) is 'K' or 'M' or 'G')
        {
            value *= char.ToUpperInvariant(_text[_position]) switch { 'K' => 1L << 10, 'M' => 1L << 20, _ => 1L << 30 };
            _position++;
        }

        return value > uint.MaxValue ? throw Error("number too large") : new SieveNumber(value, line, column);
    }

    private bool StartsWithText() =>
        string.Compare(_text, _position, "text:", 0, 5, StringComparison.OrdinalIgnoreCase) == 0;

    private string String()
    {
        if (_text[_position] == '"')
        {
            _position++;
            var value = new StringBuilder();
            while (true)
            {
                if (_position >= _text.Length)
                {
                    throw Error("unterminated string");
                }

                var c = _text[_position++];
                if (c == '"')
                {
                    return value.ToString();
                }

                if (c == '\\')
                {
                    // §2.4.2: "\\" and "\"" are escapes; any other backslash is dropped and the next character kept.
                    if (_position >= _text.Length)
                    {
                        throw Error("unterminated string");
                    }

                    c = _text[_position++];
                }

                if (c == '\n')
                {
                    NewLine();
                }

                value.Append(c);
            }
        }

        // text: [hash-comment] CRLF *(line) "." CRLF (§2.4.2, §8.1); a leading dot of a line is doubled.
        _position += 5;
        while (_position < _text.Length && _text[_position] is ' ' or '\t')
        {
            _position++;
        }

        if (_position < _text.Length && _text[_position] == '#')
        {
            while (_position < _text.Length && _text[_position] != '\n')
            {
                _position++;
            }
        }

        if (_position < _text.Length && _text[_position] == '\r')
        {
            _position++;
        }

        if (_position >= _text.Length || _text[_position] != '\n')
        {
            throw Error("expected a line break after text:");
        }

        _position++;
        NewLine();
        var result = new StringBuilder();
        while (true)
        {
            if (_position >= _text.Length)
            {
                throw Error("unterminated multi-line string");
            }

            var end = _text.IndexOf('\n', _position);
            var lineEnd = end < 0 ? _text.Length : end;
            var line = _text[_position..lineEnd].TrimEnd('\r');
            _position = end < 0 ? _text.Length : end + 1;
            if (end >= 0)
            {
                NewLine();
            }

            if (line == ".")
            {
                return result.ToString();
            }

            result.Append(line.StartsWith("..", StringComparison.Ordinal) ? line[1..] : line).Append("\r\n");
        }
    }

    private string? Identifier()
    {
        if (_position >= _text.Length || !IsIdentifierStart(_text[_position]))
        {
            return null;
        }

        var start = _position;
        while (_position < _text.Length && (IsIdentifierStart(_text[_position]) || char.IsAsciiDigit(_text[_position])))
        {
            _position++;
        }

        return _text[start.._position].ToLowerInvariant();
    }

    private static bool IsIdentifierStart(char c) => char.IsAsciiLetter(c) || c == '_';

    private void SkipSpace()
    {
        while (_position < _text.Length)
        {
            var c = _text[_position];
            if (c == '\n')
            {
                _position++;
                NewLine();
            }
            else if (c is ' ' or '\t' or '\r')
            {
                _position++;
            }
            else if (c == '#')
            {
                while (_position < _text.Length && _text[_position] != '\n')
                {
                    _position++;
                }
            }
            else if (c == '/' && _position + 1 < _text.Length && _text[_position + 1] == '*')
            {
                var close = _text.IndexOf("*/", _position + 2, StringComparison.Ordinal);
                if (close < 0)
                {
                    throw Error("unterminated comment");
                }

                for (var i = _position; i < close; i++)
                {
                    if (_text[i] == '\n')
                    {
                        _line++;
                        _lineStart = i + 1;
                    }
                }

                _position = close + 2;
            }
            else
            {
                return;
            }
        }
    }

    private bool Take(char c)
    {
        if (_position < _text.Length && _text[_position] == c)
        {
            _position++;
            return true;
        }

        return false;
    }

    private void NewLine()
    {
        _line++;
        _lineStart = _position;
    }

    private int Column => _position - _lineStart + 1;

    private SieveSyntaxException Error(string message) => new(message, _line, Column);
}
