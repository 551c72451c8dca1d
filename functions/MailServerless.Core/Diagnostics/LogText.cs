namespace MailServerless.Core.Diagnostics;

/// <summary>Client-supplied text made safe for a log line: no control characters (no forged lines for fail2ban), bounded length.</summary>
public static class LogText
{
    public static string Safe(string? text, int maxLength = 128)
    {
        if (string.IsNullOrEmpty(text))
        {
            return string.Empty;
        }

        var clean = string.Create(Math.Min(text.Length, maxLength), text, (span, source) =>
        {
            for (var i = 0; i < span.Length; i++)
            {
                span[i] = char.IsControl(source[i]) ? '?' : source[i];
            }
        });
        return text.Length > maxLength ? clean + "..." : clean;
    }
}
