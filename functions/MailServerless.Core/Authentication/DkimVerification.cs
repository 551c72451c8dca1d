using MimeKit;
using MimeKit.Cryptography;

namespace MailServerless.Core.Authentication;

/// <summary>
/// Checks every DKIM-Signature of a message (RFC 6376 §6) with MimeKit's verifier: RSA-SHA256 with keys of
/// 1024 bits or more (RFC 8301) and Ed25519-SHA256 (RFC 8463); RSA-SHA1 is not accepted (RFC 8301 §3.1).
/// </summary>
public sealed class DkimVerification(DnsDkimKeyLocator keys)
{
    /// <summary>At most this many signatures are checked (each costs a look-up and a hash of the body).</summary>
    public const int MaxSignatures = 10;

    public async Task<IReadOnlyList<DkimOutcome>> VerifyAsync(MimeMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        var verifier = new DkimVerifier(keys) { MinimumRsaKeyLength = 1024 };
        verifier.Enable(DkimSignatureAlgorithm.Ed25519Sha256);
        var outcomes = new List<DkimOutcome>();
        foreach (var header in message.Headers.Where(h => h.Id == HeaderId.DkimSignature).Take(MaxSignatures))
        {
            outcomes.Add(await VerifyOneAsync(verifier, message, header, cancellationToken));
        }

        return outcomes;
    }

    private static async Task<DkimOutcome> VerifyOneAsync(DkimVerifier verifier, MimeMessage message, Header header, CancellationToken cancellationToken)
    {
        var tags = Tags(header.Value);
        var domain = tags.GetValueOrDefault("d") ?? string.Empty;
        var selector = tags.GetValueOrDefault("s") ?? string.Empty;
        var b = tags.GetValueOrDefault("b") is { } value ? new string(value.Where(c => !char.IsWhiteSpace(c)).Take(8).ToArray()) : null;
        try
        {
            return await verifier.VerifyAsync(message, header, cancellationToken)
                ? new DkimOutcome(AuthResult.Pass, domain, selector, b)
                : new DkimOutcome(AuthResult.Fail, domain, selector, b, "signature did not verify");
        }
        catch (DkimKeyUnavailableException e)
        {
            return new DkimOutcome(AuthResult.TempError, domain, selector, b, e.Message);
        }
        catch (DkimKeyMissingException e)
        {
            return new DkimOutcome(AuthResult.PermError, domain, selector, b, e.Message);
        }
        catch (Exception e) when (e is FormatException or ParseException or ArgumentException or NotSupportedException or InvalidOperationException)
        {
            return new DkimOutcome(AuthResult.PermError, domain, selector, b, "bad signature: " + e.Message);
        }
    }

    /// <summary>The <c>tag=value</c> list of a DKIM-Signature (RFC 6376 §3.2).</summary>
    internal static Dictionary<string, string> Tags(string value)
    {
        var tags = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var part in value.Split(';'))
        {
            var equals = part.IndexOf('=', StringComparison.Ordinal);
            if (equals > 0)
            {
                tags.TryAdd(part[..equals].Trim(), part[(equals + 1)..].Trim());
            }
        }

        return tags;
    }
}
