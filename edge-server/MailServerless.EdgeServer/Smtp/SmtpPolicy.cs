using MailServerless.Core.Accounts;
using MailServerless.Core.Addresses;
using MailServerless.Core.Storage;

namespace MailServerless.EdgeServer.Smtp;

/// <summary>
/// The decisions taken at MAIL and RCPT time, so that the server never accepts what it would
/// have to bounce later: no open relay, unknown users and full mailboxes refused up front, and an
/// authenticated sender held to its own addresses (Postfix's <c>reject_sender_login_mismatch</c>).
/// </summary>
public sealed class SmtpPolicy(
    IAccountDirectory directory, RecipientResolver resolver, MaildirStore store, ServerPostmaster? postmaster = null, SrsSecret? srs = null)
{
    private readonly SenderOwnership _ownership = new(resolver);

    /// <summary>
    /// Where <c>RCPT TO:&lt;postmaster&gt;</c> goes (RFC 5321 §4.1.1.3: the bare name, in any case, must be taken):
    /// the server's postmaster; else null and the refusal (never an accepted address that would bounce).
    /// </summary>
    public async Task<(string? Address, string Refusal)> ServerPostmasterAsync(CancellationToken cancellationToken)
    {
        try
        {
            return postmaster is not null && await postmaster.AddressAsync(cancellationToken) is { } address
                ? (address, string.Empty)
                : (null, "550 5.1.1 <postmaster>: Recipient address rejected: no postmaster address here (Mail:Postmaster)");
        }
        catch (DirectoryUnavailableException)
        {
            return (null, "451 4.3.0 <postmaster>: Temporary lookup failure");
        }
    }

    /// <summary>The reply to RCPT TO for <paramref name="address"/>; positive when it is accepted.</summary>
    public async Task<SmtpReply> CheckRecipientAsync(string address, bool authenticated, bool smtpUtf8, CancellationToken cancellationToken)
    {
        if (!address.All(char.IsAscii) && !smtpUtf8)
        {
            return new SmtpReply(553, $"5.6.7 <{address}>: Must declare SMTPUTF8 to send unicode address");
        }

        if (!EmailAddress.TryParse(address, out var parsed))
        {
            // An address literal or something stranger: only an authenticated sender may relay.
            return authenticated ? new SmtpReply(250, "2.1.5 Ok") : new SmtpReply(554, $"5.7.1 <{address}>: Relay access denied");
        }

        try
        {
            var kind = await directory.GetDomainKindAsync(parsed.Domain, cancellationToken);
            switch (kind)
            {
                case DomainKind.NotLocal:
                    return authenticated ? new SmtpReply(250, "2.1.5 Ok") : new SmtpReply(554, $"5.7.1 <{address}>: Relay access denied");
                case DomainKind.BackupMx:
                    return new SmtpReply(250, "2.1.5 Ok");
            }

            if (!parsed.FitsLatin1)
            {
                return new SmtpReply(553, $"5.6.7 <{address}>: Recipient address rejected: this domain takes no non-Latin-1 addresses");
            }

            return await CheckLocalRecipientAsync(address, cancellationToken);
        }
        catch (DirectoryUnavailableException)
        {
            return new SmtpReply(451, $"4.3.0 <{address}>: Temporary lookup failure");
        }
    }

    private async Task<SmtpReply> CheckLocalRecipientAsync(string address, CancellationToken cancellationToken)
    {
        var resolution = await resolver.ResolveAsync(address, cancellationToken);
        if (resolution.Failure == ExpansionFailure.AliasLoop)
        {
            return new SmtpReply(550, $"5.4.6 <{address}>: Recipient address rejected: alias expansion loop");
        }

        if (resolution.Failure == ExpansionFailure.TooManyAddresses)
        {
            return new SmtpReply(550, $"5.3.4 <{address}>: Recipient address rejected: alias expands to too many addresses");
        }

        if (resolution.Recipients.Any(r => r.Kind == RecipientKind.Misconfigured))
        {
            return new SmtpReply(451, $"4.3.5 <{address}>: Server configuration error");
        }

        if (resolution.Recipients.All(r => r.Kind == RecipientKind.UnknownUser))
        {
            return new SmtpReply(550, $"5.1.1 <{address}>: Recipient address rejected: User unknown in virtual mailbox table");
        }

        // A single full mailbox is refused now (no bounce later); an alias with several targets is
        // accepted and bounced per target at delivery.
        if (resolution.Recipients is [{ Kind: RecipientKind.Mailbox, Mailbox: { QuotaBytes: > 0 } mailbox }])
        {
            var usage = await store.OpenMailbox(mailbox.Maildir, new QuotaLimit(mailbox.QuotaBytes)).GetQuotaUsageAsync(cancellationToken);
            if (usage.WouldExceed(1))
            {
                return new SmtpReply(552, $"5.2.2 <{address}>: Recipient address rejected: Mailbox full");
            }
        }

        return new SmtpReply(250, "2.1.5 Ok");
    }

    /// <summary>
    /// Null when an unauthenticated client may use <paramref name="sender"/> on the MX; a refusal when it names a
    /// hosted domain (Postfix's <c>reject_unauthenticated_sender_login_mismatch</c>): our users send through
    /// submission, and a forged local sender would otherwise be forwarded on with our SPF behind it.
    /// </summary>
    public async Task<string?> CheckUnauthenticatedSenderAsync(string sender, CancellationToken cancellationToken)
    {
        if (sender.Length == 0 || !EmailAddress.TryParse(sender, out var parsed))
        {
            return null;
        }

        try
        {
            return await directory.GetDomainKindAsync(parsed.Domain, cancellationToken) == DomainKind.Local
                ? $"553 5.7.1 <{sender}>: Sender address rejected: not logged in"
                : null;
        }
        catch (DirectoryUnavailableException)
        {
            return $"451 4.3.0 <{sender}>: Temporary lookup failure";
        }
    }

    /// <summary>
    /// For RCPT TO an SRS address of ours (a bounce or reply to a forward): the address it stands for, to be
    /// relayed there; or the refusal of one that is forged or expired. (null, null) when it is no SRS address.
    /// </summary>
    public async Task<(string? Original, string? Refusal)> ReverseSrsAsync(string address, CancellationToken cancellationToken)
    {
        if (srs is null || !srs.Enabled || !address.EndsWith("@" + srs.Domain, StringComparison.OrdinalIgnoreCase))
        {
            return (null, null);
        }

        try
        {
            if (await srs.RewritingAsync(cancellationToken) is not { } rewriting || !rewriting.IsRewritten(address))
            {
                return (null, null);
            }

            return rewriting.Reverse(address) is { } original
                ? (original, null)
                : (null, $"550 5.1.1 <{address}>: Recipient address rejected: not a valid SRS address (forged or expired)");
        }
        catch (DirectoryUnavailableException)
        {
            return (null, $"451 4.3.0 <{address}>: Temporary lookup failure");
        }
    }

    /// <summary>Null when the authenticated <paramref name="user"/> may use <paramref name="sender"/>; else the reply.</summary>
    public async Task<string?> CheckSenderAsync(string sender, string user, CancellationToken cancellationToken)
    {
        try
        {
            return await _ownership.MaySendAsAsync(sender, user, cancellationToken)
                ? null
                : $"553 5.7.1 <{sender}>: Sender address rejected: not owned by user {user}";
        }
        catch (DirectoryUnavailableException)
        {
            return $"451 4.3.0 <{sender}>: Temporary lookup failure";
        }
    }
}
