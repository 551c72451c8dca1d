using System.Text.Json.Serialization;

namespace MailServerless.Core.Queue;

/// <summary>Which notices a recipient's sender asked for (RFC 3461 §4.1 NOTIFY); none named means the server's default.</summary>
[Flags]
[JsonConverter(typeof(JsonStringEnumConverter<DsnNotify>))]
public enum DsnNotify
{
    /// <summary>No NOTIFY: failures are reported, nothing else, as Postfix does by default.</summary>
    Default = 0,
    Never = 1,
    Success = 2,
    Failure = 4,
    Delay = 8,
}

/// <summary>What a notice carries of the message (RFC 3461 §4.3 RET).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<DsnReturn>))]
public enum DsnReturn
{
    /// <summary>RET=HDRS, and the default: the header section only.</summary>
    Headers,

    /// <summary>RET=FULL: the whole message (up to the bounce size limit).</summary>
    Full,
}

/// <summary>One recipient's DSN parameters: NOTIFY and the ORCPT address (RFC 3461 §4.1, §4.2).</summary>
public sealed record RecipientDsn
{
    public DsnNotify Notify { get; init; }

    /// <summary>ORCPT as given, <c>rfc822;user@example.jp</c> (the xtext decoded); null when the client gave none.</summary>
    public string? OriginalRecipient { get; init; }

    /// <summary>True when a notice of this kind is due: as NOTIFY says, or without NOTIFY for failures only (as Postfix does).</summary>
    public bool Wants(DsnNotify kind) =>
        Notify == DsnNotify.Default ? kind == DsnNotify.Failure : Notify.HasFlag(kind);
}

/// <summary>
/// The DSN parameters of a transaction (RFC 3461): RET and ENVID from MAIL FROM, and per recipient NOTIFY and ORCPT
/// from RCPT TO, keyed by the recipient as queued. They travel with the envelope through the spool and SQS; an
/// envelope queued before they existed has none, and gets the defaults.
/// </summary>
public sealed record DsnRequest
{
    public DsnReturn? Return { get; init; }

    /// <summary>ENVID, the xtext decoded; null when not given.</summary>
    public string? EnvelopeId { get; init; }

    public IReadOnlyDictionary<string, RecipientDsn>? Recipients { get; init; }

    /// <summary>The parameters of one recipient as queued; the defaults when it has none.</summary>
    public RecipientDsn For(string recipient) =>
        Recipients is not null && Recipients.TryGetValue(recipient, out var found) ? found
        : Recipients?.FirstOrDefault(p => p.Key.Equals(recipient, StringComparison.OrdinalIgnoreCase)).Value ?? Defaults;

    public static RecipientDsn Defaults { get; } = new();
}
