namespace MailServerless.EdgeServer.Smtp;

/// <summary>The <c>Mail:Smtp</c> limits, with Postfix's defaults.</summary>
public sealed class SmtpOptions
{
    /// <summary>Postfix's <c>message_size_limit</c>.</summary>
    public long MaxMessageSize { get; set; } = 10_240_000;

    /// <summary>Postfix's <c>smtpd_recipient_limit</c>.</summary>
    public int MaxRecipients { get; set; } = 1000;

    /// <summary>Postfix's <c>smtpd_recipient_overshoot_limit</c>: recipients past the limit before each one counts as an error.</summary>
    public int RecipientOvershootLimit { get; set; } = 1000;

    /// <summary>A command line, CRLF included (RFC 5321 §4.5.3.1.4).</summary>
    public int MaxCommandLine { get; set; } = 512;

    /// <summary>An AUTH line with an initial response may be longer (RFC 4954 §4: 12288).</summary>
    public int MaxAuthLine { get; set; } = 12_288;

    /// <summary>Postfix's <c>smtpd_hard_error_limit</c>: errors before the connection is closed.</summary>
    public int MaxErrors { get; set; } = 20;

    /// <summary>Postfix's <c>smtpd_client_connection_count_limit</c>.</summary>
    public int MaxConnectionsPerClient { get; set; } = 50;

    /// <summary>Postfix's <c>smtpd_timeout</c>.</summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromSeconds(300);

    /// <summary>
    /// When the server stops (a restart, an update), how long a transaction under way may take to finish: a
    /// message being sent is still received, made durable and acknowledged; then the session is told 421. Kept
    /// under the host's stop time-out (<c>Mail:Queue:ShutdownGrace</c> plus 5 s), after which connections are cut.
    /// </summary>
    public TimeSpan DrainTimeout { get; set; } = TimeSpan.FromSeconds(25);

    /// <summary>
    /// Postfix's <c>smtpd_min_data_rate</c> (octets per second): DATA gets <see cref="IdleTimeout"/> plus one
    /// second per this many octets received, so a client trickling its message cannot hold the connection.
    /// </summary>
    public int MinDataRate { get; set; } = 500;

    /// <summary>Postfix's <c>smtpd_sasl_authenticated_header</c>: name the authenticated user in Received:.</summary>
    public bool AuthenticatedUserInReceived { get; set; }

    /// <summary>
    /// Postfix's <c>header_size_limit</c>: octets in a message's header section. A message over it is refused
    /// (552 5.3.4) where Postfix truncates the header; by SMTP and by IMAP APPEND alike.
    /// </summary>
    public int HeaderSizeLimit { get; set; } = 102_400;

    /// <summary>
    /// Postfix's <c>line_length_limit</c>, for the header section: a longer header line (CRLF not counted) is
    /// refused (552 5.3.4). Body lines are kept as they came, as Postfix's split-and-rejoin leaves them.
    /// </summary>
    public int LineLengthLimit { get; set; } = 2048;

    /// <summary>
    /// An authenticated submission whose From: or Sender: names an address the user may not send as is refused
    /// (553 5.7.1) at the end of DATA, under the rule that holds the envelope sender (Postfix's
    /// <c>reject_sender_login_mismatch</c>, applied to the headers that receivers and DKIM see).
    /// </summary>
    public bool RejectHeaderSenderMismatch { get; set; } = true;

    /// <summary>
    /// Refuse (553 5.7.1) an unauthenticated <c>MAIL FROM</c> on the MX in a hosted domain (Postfix's
    /// <c>reject_unauthenticated_sender_login_mismatch</c>): local users send through submission. Until SPF is
    /// checked, there is no exception for hosts a domain's SPF record allows.
    /// </summary>
    public bool RejectUnauthenticatedLocalSender { get; set; } = true;

    public Protocol.HeaderLimits HeaderLimits => new(HeaderSizeLimit, LineLengthLimit);
}
