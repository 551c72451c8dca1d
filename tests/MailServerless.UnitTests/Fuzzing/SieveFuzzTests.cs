using CsCheck;
using MailServerless.Core.Sieve;
using MimeKit;

namespace MailServerless.UnitTests.Fuzzing;

/// <summary>
/// Random scripts for the Sieve compiler and interpreter: a script compiles or is refused with a syntax error, and a
/// compiled one runs to a result (perhaps its run-time error), never another exception. As <see cref="ParserFuzzTests"/>:
/// 3,000 cases here, more with <c>MSL_FUZZ_ITERATIONS</c>.
/// </summary>
public sealed class SieveFuzzTests
{
    private static readonly long Iterations =
        long.TryParse(Environment.GetEnvironmentVariable("MSL_FUZZ_ITERATIONS"), out var iterations) && iterations > 0 ? iterations : 3000;

    /// <summary>Words of the language mixed with noise, so that the generator gets past the first token.</summary>
    private static readonly Gen<string> Script =
        Gen.OneOf(
                "require", "[\"fileinto\",\"variables\",\"regex\",\"relational\",\"imap4flags\",\"body\",\"date\",\"index\",\"editheader\",\"vacation\",\"subaddress\",\"envelope\",\"encoded-character\",\"enotify\",\"comparator-i;ascii-numeric\"]",
                "if", "elsif", "else", "{", "}", "(", ")", ";", ",", "header", "address", "envelope", "body", "date", "string", "exists", "size",
                "allof", "anyof", "not", "true", "false", ":is", ":contains", ":matches", ":regex", ":count", ":value", "\"ge\"", ":comparator",
                "\"i;ascii-numeric\"", ":localpart", ":domain", ":detail", ":index", "1", "100K", ":over", "fileinto", "keep", "discard", "stop",
                "redirect", "reject", "vacation", ":days", "set", ":upper", "\"${1}\"", "\"${hex:41}\"", "\"*\"", "\"subject\"", "\"a*b?\"",
                "\"(a+)+$\"", "addflag", "\"\\\\Seen\"", "addheader", "deleteheader", "notify", ":importance", ":message", ":from", "\"mailto:a@b.example?subject=%41&body=x\"",
                "\"mailto:${1}\"", "valid_notify_method", "notify_method_capability", "\"online\"", ":encodeurl", "text:\r\nx\r\n.\r\n", "#c\r\n", "/*c*/")
            .Array[0, 40]
            .Select(Gen.String[Gen.Char[" \"{}[]();:,\\*?$0123456789abcdefkmrtx\r\n"], 0, 20], (words, noise) => string.Join(' ', words) + noise);

    private static readonly MimeMessage Message = MimeMessage.Load(new MemoryStream(
        "From: a@example.com\r\nTo: b+tag@example.jp\r\nSubject: aaaaaaaa b\r\nDate: Thu, 03 Dec 2026 10:00:00 +0900\r\n\r\nbody\r\n"u8.ToArray()));

    [Fact]
    public void Scripts_compile_or_are_refused_and_compiled_ones_always_run_to_a_result()
    {
        Script.Sample(text =>
        {
            SieveScript script;
            try
            {
                script = SieveScript.Compile(text);
            }
            catch (SieveSyntaxException)
            {
                return;
            }

            var result = script.Run(new SieveMessage(Message, "a@example.com", "b+tag@example.jp", 120));
            Assert.NotNull(result.Lines());
        }, iter: Iterations);
    }

    /// <summary>Notification URIs of every shape: parsed, or refused with why; never an exception.</summary>
    [Fact]
    public void Mailto_uris_parse_or_are_refused_with_a_reason()
    {
        Gen.String[Gen.Char["mailto:?&=%,@.abcxyz019ABCF \r\n\u00e9<>\"\\"], 0, 60].Sample(text =>
        {
            foreach (var candidate in new[] { text, "mailto:" + text, "mailto:a@b.example?" + text })
            {
                var (uri, error) = SieveMailto.Parse(candidate);
                Assert.True(uri is not null ^ error is not null, candidate);
                Assert.True(uri is null || uri.To.Count + uri.Cc.Count is > 0 and <= SieveMailto.MaxRecipients, candidate);
            }
        }, iter: Iterations);
    }
}
