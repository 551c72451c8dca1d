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
}
