namespace MailServerless.Core.Sieve;

/// <summary>A script that does not compile: the message names the line and column (1-based), as Pigeonhole's do.</summary>
public sealed class SieveSyntaxException : Exception
{
    public SieveSyntaxException(string message, int line, int column)
        : base($"line {line}, column {column}: {message}")
    {
        Line = line;
        Column = column;
        Reason = message;
    }

    public SieveSyntaxException()
    {
        Reason = string.Empty;
    }

    public SieveSyntaxException(string message)
        : base(message)
    {
        Reason = message;
    }

    public SieveSyntaxException(string message, Exception innerException)
        : base(message, innerException)
    {
        Reason = message;
    }

    public int Line { get; }

    public int Column { get; }

    public string Reason { get; }
}

/// <summary>An argument (RFC 5228 §2.6.1): a string list (a single string is a list of one), a number or a tag.</summary>
public abstract record SieveArgument(int Line, int Column);

/// <summary>A string or a string list; <see cref="IsList"/> tells which was written.</summary>
public sealed record SieveStrings(IReadOnlyList<string> Values, bool IsList, int Line, int Column) : SieveArgument(Line, Column);

/// <summary>A number, its K/M/G multiplier applied (§2.4.1).</summary>
public sealed record SieveNumber(long Value, int Line, int Column) : SieveArgument(Line, Column);

/// <summary>A tagged argument such as <c>:contains</c>, its name lower case without the colon.</summary>
public sealed record SieveTag(string Name, int Line, int Column) : SieveArgument(Line, Column);

/// <summary>A test (§5): its name lower case, arguments, and nested tests (allof, anyof, not).</summary>
public sealed record SieveTest(string Name, IReadOnlyList<SieveArgument> Arguments, IReadOnlyList<SieveTest> Tests, int Line, int Column);

/// <summary>A command (§2.9): its name lower case, arguments, tests (if/elsif) and block, if any.</summary>
public sealed record SieveCommand(
    string Name, IReadOnlyList<SieveArgument> Arguments, IReadOnlyList<SieveTest> Tests, IReadOnlyList<SieveCommand>? Block, int Line, int Column);
