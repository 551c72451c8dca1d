namespace MailServerless.Core.Spam;

/// <summary>What happens to mail when rspamd cannot be asked (down, slow, an error).</summary>
public enum SpamFailureAction
{
    /// <summary>Accepted unchecked (rspamd's milter default, <c>milter_default_action = accept</c>).</summary>
    Accept,

    /// <summary><c>451 4.7.1</c>: the client tries again later.</summary>
    TempFail,
}

/// <summary>What is done with the verdict on mail from our own users (submission, authenticated).</summary>
public enum SubmissionSpamAction
{
    /// <summary>Refused as on the MX (reject: <c>554</c>, soft reject: <c>451</c>): a stolen account cannot send spam.</summary>
    Reject,

    /// <summary>Checked and logged only.</summary>
    Accept,

    /// <summary>Not checked.</summary>
    Off,
}

/// <summary>The <c>Mail:Spam</c> settings: rspamd, asked over its HTTP protocol.</summary>
public sealed class SpamOptions
{
    /// <summary>rspamd's normal worker (e.g. <c>http://127.0.0.1:11333</c>); empty: no spam filtering.</summary>
    public string RspamdUrl { get; set; } = string.Empty;

    /// <summary>Sent as the <c>Password</c> header, for a worker that asks for one.</summary>
    public string Password { get; set; } = string.Empty;

    /// <summary>How long a check may take before <see cref="FailureAction"/> applies.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(20);

    public SpamFailureAction FailureAction { get; set; } = SpamFailureAction.Accept;

    public SubmissionSpamAction Submission { get; set; } = SubmissionSpamAction.Reject;

    public bool Enabled => !string.IsNullOrWhiteSpace(RspamdUrl);
}
