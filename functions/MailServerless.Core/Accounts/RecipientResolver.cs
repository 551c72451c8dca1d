using MailServerless.Core.Addresses;

namespace MailServerless.Core.Accounts;

/// <summary>
/// Expands an envelope recipient the way Postfix's cleanup(8) applies the seed's
/// <c>virtual_alias_maps</c> (cleanup_map1n.c), then classifies each result with
/// <c>virtual_mailbox_domains</c> and <c>virtual_mailbox_maps</c>:
/// <list type="bullet">
/// <item>each address is looked up repeatedly until no alias matches;</item>
/// <item>an address whose alias lists itself (PostfixAdmin's self-alias, "forward and keep a copy")
/// is final from then on, everywhere in the expansion;</item>
/// <item>a chain that comes back to an address that is not final is a loop;</item>
/// <item>duplicates are delivered once.</item>
/// </list>
/// </summary>
/// <remarks>
/// <c>postmaster@</c> a local domain that resolves to no one goes to the <see cref="ServerPostmaster"/>, so that
/// every domain's postmaster takes mail (RFC 5321 §4.5.1). With a <paramref name="recipientDelimiter"/> (Postfix's
/// <c>recipient_delimiter</c>), <c>user+tag@domain</c> that matches nothing as it is (no alias, no catch-all, no
/// mailbox) goes where <c>user@domain</c> goes; the resolution keeps the address as it was sent.
/// </remarks>
public sealed class RecipientResolver(
    IAccountDirectory directory, string vacationDomain, ServerPostmaster? postmaster = null, string recipientDelimiter = "")
{
    /// <summary>Postfix's <c>virtual_alias_expansion_limit</c>.</summary>
    public const int ExpansionLimit = 1000;

    /// <summary>Postfix's <c>virtual_alias_recursion_limit</c>.</summary>
    public const int RecursionLimit = 1000;

    public async Task<RecipientResolution> ResolveAsync(string recipient, CancellationToken cancellationToken = default)
    {
        var resolution = await ExpandAsync(recipient, cancellationToken);
        if (resolution.Recipients is [{ Kind: RecipientKind.UnknownUser }] && WithoutExtension(recipient) is { } plain)
        {
            // Postfix looks up user+tag@domain first (where a catch-all matches too), then user@domain.
            var extended = await ExpandAsync(plain, cancellationToken);
            if (extended.Failed || extended.Recipients.Any(r => r.Kind != RecipientKind.UnknownUser))
            {
                return extended with { Original = resolution.Original };
            }
        }

        if (postmaster is not null && resolution.Recipients is [{ Kind: RecipientKind.UnknownUser }] &&
            EmailAddress.TryParse(recipient.Trim(), out var parsed) && ServerPostmaster.IsPostmaster(parsed.LocalPart) &&
            await postmaster.AddressAsync(cancellationToken) is { } server &&
            !string.Equals(server, parsed.Value, StringComparison.OrdinalIgnoreCase))
        {
            var forwarded = await ExpandAsync(server, cancellationToken);
            return forwarded with { Original = resolution.Original };
        }

        return resolution;
    }

    /// <summary><c>user@domain</c> for <c>user+tag@domain</c> (at the first of the delimiter characters); null when there is no tag.</summary>
    public string? WithoutExtension(string address)
    {
        ArgumentNullException.ThrowIfNull(address);
        var at = address.LastIndexOf('@');
        if (recipientDelimiter.Length == 0 || at <= 0)
        {
            return null;
        }

        var cut = address.AsSpan(0, at).IndexOfAny(recipientDelimiter);
        return cut <= 0 ? null : address[..cut] + address[at..];
    }

    private async Task<RecipientResolution> ExpandAsync(string recipient, CancellationToken cancellationToken)
    {
        var addresses = new List<string> { recipient.Trim() };
        var final = new HashSet<string>(StringComparer.OrdinalIgnoreCase);

        for (var slot = 0; slot < addresses.Count; slot++)
        {
            if (addresses.Count > ExpansionLimit)
            {
                return new RecipientResolution(recipient, [], ExpansionFailure.TooManyAddresses);
            }

            var chain = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            for (var depth = 0; ; depth++)
            {
                var current = addresses[slot];
                if (final.Contains(current))
                {
                    break;
                }

                // Lookups are deterministic: meeting an address again in one chain means forever.
                if (depth >= RecursionLimit || !chain.Add(current))
                {
                    return new RecipientResolution(recipient, [], ExpansionFailure.AliasLoop);
                }

                var targets = await directory.LookupAliasAsync(current, cancellationToken);
                if (targets is null || targets.Count == 0)
                {
                    break;
                }

                for (var i = 0; i < targets.Count; i++)
                {
                    if (i == 0)
                    {
                        addresses[slot] = targets[i];
                    }
                    else
                    {
                        addresses.Add(targets[i]);
                    }

                    if (string.Equals(targets[i], current, StringComparison.OrdinalIgnoreCase))
                    {
                        final.Add(current);
                    }
                }
            }
        }

        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var resolved = new List<ResolvedRecipient>();
        foreach (var address in addresses)
        {
            if (seen.Add(address))
            {
                resolved.Add(await ClassifyAsync(address, cancellationToken));
            }
        }

        return new RecipientResolution(recipient, resolved);
    }

    private async Task<ResolvedRecipient> ClassifyAsync(string address, CancellationToken cancellationToken)
    {
        if (!EmailAddress.TryParse(address, out var parsed))
        {
            return new ResolvedRecipient(address, RecipientKind.UnknownUser, Detail: "not an email address");
        }

        if (string.Equals(parsed.Domain, vacationDomain, StringComparison.OrdinalIgnoreCase))
        {
            return new ResolvedRecipient(parsed.Value, RecipientKind.Vacation);
        }

        switch (await directory.GetDomainKindAsync(parsed.Domain, cancellationToken))
        {
            case DomainKind.NotLocal:
                return new ResolvedRecipient(parsed.Value, RecipientKind.Remote);
            case DomainKind.BackupMx:
                return new ResolvedRecipient(parsed.Value, RecipientKind.BackupMx);
        }

        var mailbox = await directory.FindMailboxAsync(parsed.Value, cancellationToken);
        if (mailbox is null)
        {
            return new ResolvedRecipient(parsed.Value, RecipientKind.UnknownUser, Detail: "User unknown in virtual mailbox table");
        }

        return MaildirPath.IsValid(mailbox.Maildir, out var reason)
            ? new ResolvedRecipient(parsed.Value, RecipientKind.Mailbox, mailbox)
            : new ResolvedRecipient(parsed.Value, RecipientKind.Misconfigured, mailbox, reason);
    }
}
