using MailServerless.Core.Accounts;

namespace MailServerless.Functions;

/// <summary>Where every recipient of one message goes, after alias expansion, with duplicates removed.</summary>
internal sealed class DeliveryPlan
{
    /// <summary>One local mailbox and the envelope recipients that lead to it.</summary>
    public sealed record Target(string Address, List<string> Originals);

    /// <summary>By mailbox login: a mailbox reached through several recipients gets one copy.</summary>
    public Dictionary<string, (Mailbox Mailbox, Target Target)> Mailboxes { get; } = new(StringComparer.OrdinalIgnoreCase);

    public HashSet<string> Remote { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>For each outside address, the envelope recipient it was reached through first (its DSN requests go with it).</summary>
    public Dictionary<string, string> RemoteOriginals { get; } = new(StringComparer.OrdinalIgnoreCase);

    public HashSet<string> Vacation { get; } = new(StringComparer.OrdinalIgnoreCase);

    public List<ReportedRecipient> Failures { get; } = [];

    /// <summary>Envelope recipients to try again later, with why.</summary>
    public List<(string Original, string Reason)> Temporary { get; } = [];

    public void Add(string original, RecipientResolution resolution)
    {
        switch (resolution.Failure)
        {
            case ExpansionFailure.AliasLoop:
                Failures.Add(new ReportedRecipient(original, original, "5.4.6", "554 5.4.6 Alias expansion loop"));
                return;
            case ExpansionFailure.TooManyAddresses:
                Failures.Add(new ReportedRecipient(original, original, "5.3.4", "554 5.3.4 Alias expands to too many addresses"));
                return;
        }

        foreach (var recipient in resolution.Recipients)
        {
            switch (recipient.Kind)
            {
                case RecipientKind.Mailbox:
                    var mailbox = recipient.Mailbox!;
                    if (!Mailboxes.TryGetValue(mailbox.Username, out var entry))
                    {
                        entry = (mailbox, new Target(recipient.Address, []));
                        Mailboxes[mailbox.Username] = entry;
                    }

                    entry.Target.Originals.Add(original);
                    break;
                case RecipientKind.Remote or RecipientKind.BackupMx:
                    Remote.Add(recipient.Address);
                    RemoteOriginals.TryAdd(recipient.Address, original);
                    break;
                case RecipientKind.Vacation:
                    Vacation.Add(recipient.Address);
                    break;
                case RecipientKind.Misconfigured:
                    Temporary.Add((original, $"{recipient.Address}: mail system configuration error ({recipient.Detail})"));
                    break;
                default:
                    Failures.Add(new ReportedRecipient(recipient.Address, original, "5.1.1",
                        $"550 5.1.1 <{recipient.Address}>: Recipient address rejected: {recipient.Detail ?? "User unknown"}"));
                    break;
            }
        }
    }
}
