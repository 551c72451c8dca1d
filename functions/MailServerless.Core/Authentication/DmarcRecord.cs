namespace MailServerless.Core.Authentication;

/// <summary>What a domain asks receivers to do with mail that fails DMARC (RFC 7489 §6.3 <c>p=</c>).</summary>
public enum DmarcPolicy
{
    None,
    Quarantine,
    Reject,
}

/// <summary>A DMARC policy record (RFC 7489 §6.3), with <c>np=</c> for names that do not exist (RFC 9091).</summary>
public sealed record DmarcRecord(
    DmarcPolicy Policy, DmarcPolicy? SubdomainPolicy, DmarcPolicy? NonexistentPolicy, bool StrictDkim, bool StrictSpf, int Percent)
{
    /// <summary>
    /// Reads a TXT record; false when it is no DMARC record (<c>v=DMARC1</c> must come first, §6.4). A missing or
    /// unknown <c>p=</c> is read as <c>none</c> (§6.6.3: monitoring only), unknown tags are ignored (§6.3).
    /// </summary>
    public static bool TryParse(string text, out DmarcRecord record)
    {
        ArgumentNullException.ThrowIfNull(text);
        record = null!;
        var tags = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var first = true;
        foreach (var part in text.Split(';'))
        {
            var equals = part.IndexOf('=', StringComparison.Ordinal);
            if (equals < 0)
            {
                if (part.Trim().Length > 0 && first)
                {
                    return false;
                }

                continue;
            }

            var (name, value) = (part[..equals].Trim(), part[(equals + 1)..].Trim());
            if (first && !(name == "v" && value == "DMARC1"))
            {
                return false;
            }

            first = false;
            tags.TryAdd(name, value);
        }

        if (first)
        {
            return false;
        }

        var percent = tags.TryGetValue("pct", out var pct) && int.TryParse(pct, out var p) ? Math.Clamp(p, 0, 100) : 100;
        record = new DmarcRecord(
            PolicyOf(tags.GetValueOrDefault("p")) ?? DmarcPolicy.None,
            PolicyOf(tags.GetValueOrDefault("sp")),
            PolicyOf(tags.GetValueOrDefault("np")),
            string.Equals(tags.GetValueOrDefault("adkim"), "s", StringComparison.OrdinalIgnoreCase),
            string.Equals(tags.GetValueOrDefault("aspf"), "s", StringComparison.OrdinalIgnoreCase),
            percent);
        return true;
    }

    private static DmarcPolicy? PolicyOf(string? value) => value?.ToLowerInvariant() switch
    {
        "none" => DmarcPolicy.None,
        "quarantine" => DmarcPolicy.Quarantine,
        "reject" => DmarcPolicy.Reject,
        _ => null,
    };
}
