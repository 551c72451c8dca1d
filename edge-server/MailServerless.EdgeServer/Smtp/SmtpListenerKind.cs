namespace MailServerless.EdgeServer.Smtp;

/// <summary>Which SMTP service a listener is (the seed's OB25 set-up: 25 for MX, 587 and 465 for submission).</summary>
public enum SmtpListenerKind
{
    /// <summary>Port 25: mail for our domains from anyone; relay only after AUTH.</summary>
    Mx,

    /// <summary>Port 587: STARTTLS, then AUTH before MAIL.</summary>
    Submission,

    /// <summary>Port 465: TLS from the first byte, then AUTH before MAIL.</summary>
    Submissions,
}
