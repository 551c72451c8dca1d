using System.Text.RegularExpressions;

namespace MailServerless.Functions.Outbound;

public enum OutcomeKind
{
    Delivered,

    /// <summary>4xx, a connection or a DNS failure: try again later.</summary>
    Temporary,

    /// <summary>5xx or a domain that cannot receive mail: bounce.</summary>
    Permanent,
}

/// <summary>What happened to one recipient, in the terms a bounce reports (RFC 3464 §2.3).</summary>
/// <param name="Status">The enhanced status code (RFC 3463), e.g. <c>5.1.1</c>.</param>
/// <param name="Diagnostic">The remote server's reply, or our own explanation.</param>
/// <param name="RemoteMta">The host that answered, when one did.</param>
public sealed partial record RecipientOutcome(string Recipient, OutcomeKind Kind, string Status, string Diagnostic, string? RemoteMta = null)
{
    /// <summary>Delivered to a next hop that took the sender's DSN requests: the notices are its to send now.</summary>
    public bool DsnPassedOn { get; init; }

    public static RecipientOutcome Delivered(string recipient, string reply, string? remoteMta) =>
        new(recipient, OutcomeKind.Delivered, "2.0.0", reply, remoteMta);

    public static RecipientOutcome Temporary(string recipient, string status, string diagnostic, string? remoteMta = null) =>
        new(recipient, OutcomeKind.Temporary, status, diagnostic, remoteMta);

    public static RecipientOutcome Permanent(string recipient, string status, string diagnostic, string? remoteMta = null) =>
        new(recipient, OutcomeKind.Permanent, status, diagnostic, remoteMta);

    /// <summary>An outcome from an SMTP reply: its class decides, its enhanced code (or the class's default) is kept.</summary>
    public static RecipientOutcome FromReply(string recipient, int code, string text, string? remoteMta)
    {
        var enhanced = EnhancedCode().Match(text);
        var kind = code switch
        {
            >= 200 and < 300 => OutcomeKind.Delivered,
            >= 500 and < 600 => OutcomeKind.Permanent,
            _ => OutcomeKind.Temporary,
        };
        var status = enhanced.Success && enhanced.Value[0] == (kind == OutcomeKind.Permanent ? '5' : kind == OutcomeKind.Delivered ? '2' : '4')
            ? enhanced.Value
            : kind switch { OutcomeKind.Permanent => "5.0.0", OutcomeKind.Delivered => "2.0.0", _ => "4.0.0" };
        var diagnostic = $"{code} {text.Trim()}".ReplaceLineEndings(" ");
        return new RecipientOutcome(recipient, kind, status, diagnostic, remoteMta);
    }

    [GeneratedRegex(@"^[245]\.\d{1,3}\.\d{1,3}\b")]
    private static partial Regex EnhancedCode();
}
