namespace MailServerless.Core.Sieve;

/// <summary>What a script may ask of the mail system while it runs; the interpreter itself does no I/O.</summary>
public interface ISieveEnvironment
{
    /// <summary>RFC 5490 <c>mailboxexists</c>.</summary>
    bool MailboxExists(string mailbox);

    /// <summary>RFC 7352 <c>duplicate</c>: whether this id was seen before (and records it).</summary>
    bool IsDuplicate(string id);

    /// <summary>RFC 6609 <c>include</c>: a script's text, or null when there is none.</summary>
    string? LoadScript(string name, bool fromGlobalStore);
}

/// <summary>No folders, nothing seen before, no scripts to include.</summary>
public sealed class EmptySieveEnvironment : ISieveEnvironment
{
    public static EmptySieveEnvironment Instance { get; } = new();

    public bool MailboxExists(string mailbox) => string.Equals(mailbox, "INBOX", StringComparison.OrdinalIgnoreCase);

    public bool IsDuplicate(string id) => false;

    public string? LoadScript(string name, bool fromGlobalStore) => null;
}

/// <summary>Limits on one run, so that no script can stall delivery.</summary>
public sealed record SieveLimits
{
    /// <summary>Commands and tests evaluated per message.</summary>
    public int MaxSteps { get; init; } = 100_000;

    /// <summary>Pigeonhole's <c>sieve_max_actions</c>.</summary>
    public int MaxActions { get; init; } = 32;

    /// <summary>Pigeonhole's <c>sieve_max_redirects</c>.</summary>
    public int MaxRedirects { get; init; } = 4;

    /// <summary>Pigeonhole's <c>sieve_variables_max_variable_size</c>.</summary>
    public int MaxVariableSize { get; init; } = 4096;

    /// <summary>Pigeonhole's <c>sieve_variables_max_scope_size</c>.</summary>
    public int MaxVariables { get; init; } = 255;

    /// <summary>Pigeonhole's <c>sieve_include_max_nesting_depth</c>.</summary>
    public int MaxIncludeDepth { get; init; } = 10;

    /// <summary>The subaddress delimiter (Postfix's <c>recipient_delimiter</c>).</summary>
    public string RecipientDelimiter { get; init; } = "+";
}

/// <summary>A run-time error: the script stops and the implicit keep is done (RFC 5228 §2.10.6).</summary>
public sealed class SieveRuntimeException : Exception
{
    public SieveRuntimeException(string message)
        : base(message)
    {
    }

    public SieveRuntimeException()
    {
    }

    public SieveRuntimeException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
