using System.Text;

namespace MailServerless.EdgeServer.Protocol;

/// <summary>Decoding of the SASL mechanisms every protocol here offers: PLAIN (RFC 4616) and LOGIN.</summary>
public static class Sasl
{
    public static IReadOnlyList<string> Mechanisms { get; } = ["PLAIN", "LOGIN"];

    /// <summary>Decodes base64, false when it is not valid base64 (the protocol answers with a syntax error).</summary>
    public static bool TryDecodeBase64(string text, out string value)
    {
        value = string.Empty;
        var bytes = new byte[((text.Length + 3) / 4) * 3];
        if (!Convert.TryFromBase64String(text.Trim(), bytes, out var written))
        {
            return false;
        }

        try
        {
            value = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes, 0, written);
            return true;
        }
        catch (DecoderFallbackException)
        {
            return false;
        }
    }

    /// <summary>
    /// PLAIN's message: <c>[authzid] NUL authcid NUL password</c>. An authorization identity other
    /// than the user itself is refused: nobody may act as someone else here.
    /// </summary>
    public static bool TryParsePlain(string message, out string user, out string password)
    {
        user = password = string.Empty;
        var parts = message.Split('\0');
        if (parts.Length != 3 || parts[1].Length == 0 || parts[2].Length == 0)
        {
            return false;
        }

        if (parts[0].Length > 0 && !string.Equals(parts[0], parts[1], StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        (user, password) = (parts[1], parts[2]);
        return true;
    }

    public static string Encode(string text) => Convert.ToBase64String(Encoding.UTF8.GetBytes(text));

    /// <summary>
    /// Runs the PLAIN or LOGIN exchange, the same for SMTP and POP3. <paramref name="challenge"/> sends a
    /// challenge and returns the client's response, or null when the client cancelled or left (the
    /// protocol has answered that itself). "=" is an empty initial response (RFC 4954 §4, RFC 5034 §4).
    /// </summary>
    public static async Task<SaslResult> ReadCredentialsAsync(string mechanism, string? initial, Func<string, Task<string?>> challenge)
    {
        ArgumentNullException.ThrowIfNull(challenge);
        switch (mechanism.ToUpperInvariant())
        {
            case "PLAIN":
                var response = initial ?? await challenge(string.Empty);
                if (response is null)
                {
                    return new SaslResult(SaslFailure.Cancelled);
                }

                if (!TryDecodeBase64(response == "=" ? string.Empty : response, out var message))
                {
                    return new SaslResult(SaslFailure.InvalidBase64);
                }

                return TryParsePlain(message, out var user, out var password)
                    ? new SaslResult(SaslFailure.None, user, password)
                    : new SaslResult(SaslFailure.Malformed);
            case "LOGIN":
                var userResponse = initial ?? await challenge(Encode("Username:"));
                if (userResponse is null)
                {
                    return new SaslResult(SaslFailure.Cancelled);
                }

                if (!TryDecodeBase64(userResponse, out var loginUser))
                {
                    return new SaslResult(SaslFailure.InvalidBase64);
                }

                var passwordResponse = await challenge(Encode("Password:"));
                if (passwordResponse is null)
                {
                    return new SaslResult(SaslFailure.Cancelled);
                }

                return TryDecodeBase64(passwordResponse, out var loginPassword)
                    ? new SaslResult(SaslFailure.None, loginUser, loginPassword)
                    : new SaslResult(SaslFailure.InvalidBase64);
            default:
                return new SaslResult(SaslFailure.Unsupported);
        }
    }
}

/// <summary>Why a SASL exchange gave no credentials.</summary>
public enum SaslFailure
{
    None,
    Unsupported,

    /// <summary>The client cancelled ("*") or left; the protocol has answered already.</summary>
    Cancelled,
    InvalidBase64,

    /// <summary>Decoded, but not a valid PLAIN message (or an authorization identity of someone else).</summary>
    Malformed,
}

/// <summary>The outcome of a SASL exchange: credentials, or why there are none.</summary>
public readonly record struct SaslResult(SaslFailure Failure, string User = "", string Password = "");
