namespace MailServerless.Functions;

/// <summary>The <c>Mail:Sieve</c> settings: mail filtering at delivery, laid out as Dovecot Pigeonhole lays it out.</summary>
public sealed class SieveOptions
{
    /// <summary>Run each mailbox's active script (<c>~/.dovecot.sieve</c>) and the global ones at delivery.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// Run <see cref="SieveFilters.DefaultBeforeScript"/> first: mail the MX marked <c>X-Spam: Yes</c> (rspamd's verdict,
    /// a DMARC quarantine) goes into Junk, and no later script sees it.
    /// </summary>
    public bool DefaultBefore { get; set; } = true;

    /// <summary>A script run before each user's (Pigeonhole's <c>sieve_before</c>), after the default one; empty: none.</summary>
    public string Before { get; set; } = string.Empty;

    /// <summary>A script run after each user's (Pigeonhole's <c>sieve_after</c>); empty: none.</summary>
    public string After { get; set; } = string.Empty;

    /// <summary>Where <c>include :global</c> finds scripts (Pigeonhole's <c>sieve_global</c>); empty: none.</summary>
    public string GlobalDirectory { get; set; } = string.Empty;

    /// <summary>Pigeonhole's <c>sieve_max_redirects</c>.</summary>
    public int MaxRedirects { get; set; } = 4;
}
