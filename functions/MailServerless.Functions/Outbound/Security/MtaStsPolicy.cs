using System.Globalization;

namespace MailServerless.Functions.Outbound.Security;

/// <summary>What a domain's MTA-STS policy asks of senders (RFC 8461 §5).</summary>
public enum MtaStsMode
{
    /// <summary>The domain withdrew its policy: deliver as without one.</summary>
    None,

    /// <summary>Report failures, deliver anyway.</summary>
    Testing,

    /// <summary>Only to a listed MX, only over TLS with a certificate that verifies; otherwise not at all.</summary>
    Enforce,
}

/// <summary>
/// A domain's MTA-STS policy (RFC 8461 §3.2): its mode, the MX host patterns it allows and how long it may be kept,
/// with the id of the TXT record that announced it (§3.1) to tell when it changed.
/// </summary>
public sealed record MtaStsPolicy(string Id, MtaStsMode Mode, IReadOnlyList<string> MxPatterns, TimeSpan MaxAge)
{
    /// <summary>The body of a policy file is at most 64 KiB (§3.3).</summary>
    public const int MaxBytes = 64 * 1024;

    /// <summary>max_age is at most 31557600 s, a year (§3.2).</summary>
    private const long MaxAgeLimit = 31_557_600;

    /// <summary>
    /// The policy id from a domain's <c>_mta-sts</c> TXT records (§3.1): those not starting with <c>v=STSv1</c> are
    /// ignored, and more than one that does, or one without a valid <c>id</c> (1–32 letters and digits), means none.
    /// </summary>
    public static string? IdFromTxt(IEnumerable<string> records)
    {
        ArgumentNullException.ThrowIfNull(records);
        var sts = records.Where(r => r.StartsWith("v=STSv1", StringComparison.Ordinal)
                                     && (r.Length == 7 || r[7] is ';' or ' ' or '\t')).ToList();
        if (sts.Count != 1)
        {
            return null;
        }

        string? id = null;
        foreach (var field in sts[0].Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Skip(1))
        {
            var equals = field.IndexOf('=', StringComparison.Ordinal);
            if (equals > 0 && field[..equals] == "id")
            {
                id = field[(equals + 1)..];
            }
        }

        return id is { Length: >= 1 and <= 32 } && id.All(char.IsAsciiLetterOrDigit) ? id : null;
    }

    /// <summary>
    /// Parses a policy file (§3.2): <c>key: value</c> lines ended by LF or CRLF; <c>version</c> must be STSv1, and
    /// <c>mode</c>, <c>max_age</c> and (unless the mode is none) at least one <c>mx</c> are required. Unknown keys
    /// are ignored; for a repeated key other than mx, the first counts.
    /// </summary>
    /// <returns>The policy, or null with <paramref name="error"/> saying what is wrong (an "sts-policy-invalid" failure).</returns>
    public static MtaStsPolicy? Parse(string id, string text, out string? error)
    {
        ArgumentNullException.ThrowIfNull(text);
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        var mx = new List<string>();
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                continue;
            }

            var key = line[..colon].Trim();
            var value = line[(colon + 1)..].Trim(' ', '\t');
            if (key == "mx")
            {
                mx.Add(value.TrimEnd('.').ToLowerInvariant());
            }
            else
            {
                fields.TryAdd(key, value);
            }
        }

        error = fields.GetValueOrDefault("version") != "STSv1" ? "version is not STSv1"
            : !fields.TryGetValue("mode", out var modeText) ? "no mode"
            : !fields.TryGetValue("max_age", out var ageText) || ageText.Length is 0 or > 10 || !ageText.All(char.IsAsciiDigit) ? "no valid max_age"
            : null;
        if (error is not null)
        {
            return null;
        }

        MtaStsMode? mode = fields["mode"] switch { "enforce" => MtaStsMode.Enforce, "testing" => MtaStsMode.Testing, "none" => MtaStsMode.None, _ => null };
        if (mode is null)
        {
            error = $"unknown mode '{fields["mode"]}'";
            return null;
        }

        if (mode != MtaStsMode.None && mx.Count == 0)
        {
            error = "no mx";
            return null;
        }

        var age = Math.Min(long.Parse(fields["max_age"], CultureInfo.InvariantCulture), MaxAgeLimit);
        return new MtaStsPolicy(id, mode.Value, mx, TimeSpan.FromSeconds(age));
    }

    /// <summary>
    /// Whether <paramref name="mxHost"/> is one the policy allows (§4.1): the same name, or, for a pattern
    /// <c>*.example.com</c>, a name with exactly one more label on the left. Case and a final dot do not count.
    /// </summary>
    public bool Allows(string mxHost)
    {
        ArgumentNullException.ThrowIfNull(mxHost);
        var host = mxHost.TrimEnd('.').ToLowerInvariant();
        foreach (var pattern in MxPatterns)
        {
            if (pattern.StartsWith("*.", StringComparison.Ordinal))
            {
                var dot = host.IndexOf('.', StringComparison.Ordinal);
                if (dot > 0 && host[(dot + 1)..] == pattern[2..])
                {
                    return true;
                }
            }
            else if (host == pattern)
            {
                return true;
            }
        }

        return false;
    }
}
