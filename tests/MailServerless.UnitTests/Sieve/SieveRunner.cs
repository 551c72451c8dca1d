using System.Text;
using MailServerless.Core.Sieve;
using MimeKit;

namespace MailServerless.UnitTests.Sieve;

/// <summary>Runs a script on a message given as text, the way the tests need it.</summary>
internal static class SieveRunner
{
    public static SieveResult Run(string script, string message, string from = "sender@example.com", string to = "user@example.jp",
        double? spamScore = null, ISieveEnvironment? environment = null, SieveLimits? limits = null)
    {
        var bytes = Encoding.UTF8.GetBytes(message.ReplaceLineEndings("\r\n"));
        var mime = MimeMessage.Load(new MemoryStream(bytes));
        return SieveScript.Compile(script).Run(new SieveMessage(mime, from, to, bytes.Length, spamScore), environment, limits);
    }

    public static IReadOnlyList<string> Lines(string script, string message, string from = "sender@example.com", string to = "user@example.jp") =>
        Run(script, message, from, to).Lines();
}
