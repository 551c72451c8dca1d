namespace MailServerless.Core.Authentication;

/// <summary>What is done with mail whose SPF result is fail (policyd-spf's <c>Mail_From_reject</c>).</summary>
public enum SpfFailAction
{
    /// <summary><c>550 5.7.23</c> at RCPT (policyd-spf's default).</summary>
    Reject,

    /// <summary>Accepted; the result is recorded in Authentication-Results, for DMARC and filters.</summary>
    Accept,
}

/// <summary>What is done with mail that fails DMARC under <c>p=reject</c>.</summary>
public enum DmarcRejectAction
{
    /// <summary><c>550 5.7.1</c> at the end of DATA.</summary>
    Reject,

    /// <summary>Delivered into Junk, as for <c>p=quarantine</c>.</summary>
    Quarantine,

    /// <summary>Delivered as usual; the result is recorded in Authentication-Results.</summary>
    None,
}

/// <summary>The <c>Mail:Authentication</c> settings: SPF, DKIM, DMARC and ARC checks of mail from outside (on the MX).</summary>
public sealed class AuthenticationOptions
{
    /// <summary>Check SPF, DKIM, DMARC and ARC for every message the MX takes from an unauthenticated client.</summary>
    public bool Enabled { get; set; } = true;

    public SpfFailAction SpfFail { get; set; } = SpfFailAction.Reject;

    public DmarcRejectAction DmarcReject { get; set; } = DmarcRejectAction.Reject;

    /// <summary>The authserv-id of our Authentication-Results (RFC 8601 §2.5); empty: the host name (<c>Mail:HostName</c>).</summary>
    public string AuthServId { get; set; } = string.Empty;
}
