namespace MailServerless.Core.Sieve;

/// <summary>An action a script takes (RFC 5228 §4); <see cref="ToString"/> is the normalized line the differential tests compare.</summary>
public abstract record SieveAction;

/// <summary><c>fileinto</c> or <c>keep</c> (into INBOX): the folder, the IMAP flags, and whether to make a missing folder.</summary>
public sealed record SieveStore(string Mailbox, IReadOnlyList<string> Flags, bool Create = false) : SieveAction
{
    public override string ToString() => $"store {Mailbox}{SieveActions.FlagText(Flags)}";
}

/// <summary><c>redirect</c>.</summary>
public sealed record SieveRedirect(string Address) : SieveAction
{
    public override string ToString() => $"redirect {Address}";
}

/// <summary><c>discard</c> (RFC 5228 §4.4): the implicit keep is cancelled and nothing is stored.</summary>
public sealed record SieveDiscard : SieveAction
{
    public override string ToString() => "discard";
}

/// <summary>RFC 7352: the message's id is recorded when delivery succeeds, for later <c>duplicate</c> tests.</summary>
public sealed record SieveTrackDuplicate(string Id, long Seconds) : SieveAction
{
    public override string ToString() => "track duplicate";
}

/// <summary><c>reject</c> or <c>ereject</c> (RFC 5429).</summary>
public sealed record SieveReject(string Reason, bool Extended) : SieveAction
{
    public override string ToString() => $"{(Extended ? "ereject" : "reject")} {SieveActions.OneLine(Reason)}";
}

/// <summary><c>vacation</c> (RFC 5230): the reply to send, at most once per sender per <see cref="Seconds"/>.</summary>
public sealed record SieveVacation(string Reason, string? Subject, string? From, IReadOnlyList<string> Addresses, bool Mime, string Handle, long Seconds) : SieveAction
{
    public override string ToString() =>
        $"vacation seconds={Seconds} subject={Subject ?? "default"} from={From ?? "default"} mime={(Mime ? "yes" : "no")} reason={SieveActions.OneLine(Reason)}";
}

/// <summary>
/// <c>notify</c> (RFC 5435) by the mailto method (RFC 5436): who is told, by whom, how urgently, with what subject
/// (<see cref="Message"/> first, then the URI's, as Pigeonhole chooses) and body.
/// </summary>
public sealed record SieveNotify(string Method, SieveMailto Mailto, string? From, int Importance, string? Message) : SieveAction
{
    /// <summary>The subject the notification is sent with, when the script or the URI gives one.</summary>
    public string? Subject => Message ?? Mailto.Subject;

    /// <summary>A :from is one mailbox, with or without a display name.</summary>
    public static bool IsSender(string from) =>
        MimeKit.InternetAddressList.TryParse(from, out var list) && list.Count == 1 && list.Mailboxes.SingleOrDefault() is { } mailbox &&
        SieveMailto.IsAddress(mailbox.Address);

    public override string ToString()
    {
        var line = new System.Text.StringBuilder($"notify importance={Importance}");
        if (Subject is { } subject)
        {
            line.Append(" subject=").Append(subject);
        }

        if (From is { } from)
        {
            line.Append(" from=").Append(from);
        }

        line.Append(" to=").AppendJoin(',', Mailto.To);
        if (Mailto.Cc.Count > 0)
        {
            line.Append(" cc=").AppendJoin(',', Mailto.Cc);
        }

        foreach (var (name, value) in Mailto.Headers)
        {
            line.Append(' ').Append(name).Append(": ").Append(value);
        }

        if (Mailto.Body is { } body)
        {
            line.Append(" body=").Append(SieveActions.OneLine(body));
        }

        return line.ToString();
    }
}

/// <summary>editheader's <c>addheader</c> (RFC 5293 §4): a field added at the top of the header, or with <c>:last</c> at its end.</summary>
public sealed record SieveAddedHeader(string Name, string Value, bool Last);

/// <summary>editheader's <c>deleteheader</c> (RFC 5293 §5): the field of that name at <see cref="Index"/> (from 0) in the message as it came.</summary>
public sealed record SieveDeletedHeader(string Name, int Index);

internal static class SieveActions
{
    public static string FlagText(IReadOnlyList<string> flags) =>
        flags.Count == 0 ? string.Empty : " flags=" + string.Join(' ', flags.Select(f => f.ToLowerInvariant()).Distinct().Order(StringComparer.Ordinal));

    public static string OneLine(string text) => text.Replace("\r\n", "\\n", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);
}

/// <summary>What a script decided: its actions in order, and whether the implicit keep (with its flags) still stands.</summary>
public sealed record SieveResult(IReadOnlyList<SieveAction> Actions, bool ImplicitKeep, IReadOnlyList<string> KeepFlags, string? Error)
{
    /// <summary>editheader's additions, in the order made; the stored copies carry them.</summary>
    public IReadOnlyList<SieveAddedHeader> AddedHeaders { get; init; } = [];

    /// <summary>editheader's deletions; the stored copies lack these fields.</summary>
    public IReadOnlyList<SieveDeletedHeader> DeletedHeaders { get; init; } = [];

    /// <summary>The normalized lines, the implicit keep last (as Pigeonhole's sieve-test lists them).</summary>
    public IReadOnlyList<string> Lines() =>
        [.. Actions.Select(a => a.ToString()!), .. ImplicitKeep ? [$"keep{SieveActions.FlagText(KeepFlags)}"] : Array.Empty<string>()];
}
