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
}
