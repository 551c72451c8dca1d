namespace MailServerless.Functions;

/// <summary>The <c>Mail:Delivery</c> settings.</summary>
public sealed class DeliveryOptions
{
    /// <summary>The text of an over-quota bounce (the seed's Postfix VDA message).</summary>
    public string OverQuotaMessage { get; set; } =
        "Sorry, the user's maildir has overdrawn his diskspace quota, please try again later.";

    /// <summary>Reporting-MTA of bounces and the MAILER-DAEMON address's domain.</summary>
    public string HostName { get; set; } = "localhost";

    /// <summary>
    /// Postfix's <c>recipient_delimiter</c>: <c>user+tag@domain</c> is delivered to <c>user@domain</c> when nothing
    /// matches it as it is (each character is a delimiter); empty: off.
    /// </summary>
    public string RecipientDelimiter { get; set; } = "+";

    /// <summary>
    /// When a recipient whose sender asked for delay notices (NOTIFY=DELAY, RFC 3461) is still not delivered after
    /// this long, the sender is told once (Postfix's <c>delay_warning_time</c>, which is off by default; here it is
    /// only for those who asked).
    /// </summary>
    public TimeSpan DelayWarningAfter { get; set; } = TimeSpan.FromHours(4);

    /// <summary>
    /// Postfix's <c>bounce_size_limit</c>: a notice returns the whole message (RET=FULL) only up to this size,
    /// else its header section.
    /// </summary>
    public long BounceSizeLimit { get; set; } = 50_000;
}
