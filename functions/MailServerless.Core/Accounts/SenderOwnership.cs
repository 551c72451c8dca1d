namespace MailServerless.Core.Accounts;

/// <summary>
/// Which addresses a logged-in user may send as: their own, and any address (an alias, an alias domain's
/// name) that delivers to their mailbox — Postfix's <c>smtpd_sender_login_maps</c> built from the virtual
/// alias and mailbox tables, as PostfixAdmin sets it up. The same rule holds for the envelope sender, the
/// From: and Sender: headers, and the domain whose DKIM key may sign.
/// </summary>
public sealed class SenderOwnership(RecipientResolver resolver)
{
    /// <summary>True when <paramref name="user"/> may send as <paramref name="address"/>; the null sender (empty) is anyone's.</summary>
    /// <exception cref="DirectoryUnavailableException">The directory could not be asked.</exception>
    public async Task<bool> MaySendAsAsync(string address, string user, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(address);
        ArgumentNullException.ThrowIfNull(user);
        if (address.Length == 0 || string.Equals(address, user, StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        var resolution = await resolver.ResolveAsync(address, cancellationToken);
        return resolution.Recipients.Any(r =>
            r.Kind == RecipientKind.Mailbox && string.Equals(r.Mailbox!.Username, user, StringComparison.OrdinalIgnoreCase));
    }
}
