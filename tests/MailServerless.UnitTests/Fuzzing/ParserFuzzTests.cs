using CsCheck;
using MailServerless.EdgeServer.Imap;
using MailServerless.EdgeServer.Imap.Fetch;
using MailServerless.EdgeServer.Imap.Parsing;
using MailServerless.EdgeServer.Imap.Search;
using MailServerless.EdgeServer.Protocol;

namespace MailServerless.UnitTests.Fuzzing;

/// <summary>
/// Random input for the command parsers and the SASL decoders: each answers with its own syntax error or a
/// result, never another exception, and never takes long. 3,000 cases per test here; a long run sets
/// <c>MSL_FUZZ_ITERATIONS</c> (e.g. 1000000) and runs <c>dotnet test --filter ParserFuzzTests</c>.
/// </summary>
public sealed class ParserFuzzTests
{
    private static readonly long Iterations =
        long.TryParse(Environment.GetEnvironmentVariable("MSL_FUZZ_ITERATIONS"), out var iterations) && iterations > 0 ? iterations : 3000;

    private const string ImapAlphabet = " ()[]{}\"\\*%:,<>.0123456789+-$&ABCDEFHINORSTUXYZabcdefgklmnorstuxy\u00e9\0";
    private static readonly Gen<string> ImapText = Gen.String[Gen.Char[ImapAlphabet], 0, 120];

    /// <summary>Known words mixed in, so that the generator reaches past the first keyword.</summary>
    private static readonly Gen<string> ImapCommand =
        Gen.OneOf("ALL", "NOT", "OR", "UID", "BODY", "HEADER", "FLAGS", "BODY.PEEK[", "HEADER.FIELDS (", "1:*", "CHARSET", "TEXT", "MIME", "<0.10>", "(", ")", " ")
            .Array[0, 12].Select(ImapText, (words, noise) => string.Join(' ', words) + noise);

    private static IReadOnlyList<ImapLiteral> Literals(string text) =>
        text.Count(c => c == ImapTokenizer.LiteralMarker) is var n and > 0
            ? Enumerable.Range(0, n).Select(_ => new ImapLiteral(new MemoryStream("lit"u8.ToArray()), 3)).ToList()
            : [];

    [Fact]
    public void Imap_tokenizer_and_argument_parsers_only_ever_refuse_with_a_syntax_error()
    {
        ImapCommand.Sample(text =>
        {
            List<ImapToken> tokens;
            try
            {
                tokens = ImapTokenizer.Tokenize(text, Literals(text));
            }
            catch (ImapSyntaxException)
            {
                return;
            }

            Try(() => SearchQuery.Parse(tokens));
            Try(() => FetchRequest.Parse(tokens.Count > 0 ? tokens[0] : ImapToken.Atom("ALL"), byUid: true));
            Try(() => ImapFlags.Parse(tokens));
            foreach (var token in tokens.Where(t => t.Kind == ImapTokenKind.Atom))
            {
                Try(() => SequenceSet.Parse(token.Text));
                _ = MailboxNames.TryFromWire(token.Text, utf8: false, out _, out _);
            }
        }, iter: Iterations);
    }

    [Fact]
    public void Body_sections_parse_or_refuse_and_list_patterns_match_in_linear_steps()
    {
        ImapText.Sample(text =>
        {
            Try(() => BodySection.Parse(text, string.Empty));
            _ = ImapUrl.Parse(text);
            _ = BaseSubject.Of(text, out _);
            Try(() => BodySection.Parse("1", text));
            // Linear in both: at most two passes (the second for INBOX in any case) over (pattern + 1) × (name + 1) positions.
            var name = new string('a', 200);
            _ = MailboxNames.Pattern(string.Empty, text, utf8: false).IsMatch(name, out var steps);
            Assert.True(steps <= 2L * (text.Length + 1) * (name.Length + 2), $"{steps} steps for {text}");
        }, iter: Iterations);
    }

    [Fact]
    public void Address_and_mime_field_readers_take_any_header_value_and_stay_linear()
    {
        Gen.String[Gen.Char["\"()<>@,;:.[]\\ \t\r\n=*'/%aZ09-\u00e9"], 0, 200].Sample(text =>
        {
            // Every address carries at most what the value holds; nothing throws.
            var addresses = EnvelopeAddresses.Parse(text);
            Assert.True(addresses.Count <= 2 * (text.Length + 1), $"{addresses.Count} addresses from {text}");
            Assert.All(addresses, a => Assert.True((a.Name?.Length ?? 0) + (a.Mailbox?.Length ?? 0) + (a.Host?.Length ?? 0) <= text.Length + EnvelopeAddresses.MissingDomain.Length));
            var field = MimeFieldValue.Parse(text, withSubtype: true);
            Assert.True(field is null || field.Parameters.Sum(p => p.Key.Length + p.Value.Length) <= text.Length + 8);
            _ = MimeFieldValue.TokenList(text);
        }, iter: Iterations);
    }

    [Fact]
    public void Sasl_decoders_never_throw()
    {
        Gen.String[Gen.Char["AZaz09+/=\0 \r\n-_!"], 0, 200].Sample(text =>
        {
            if (Sasl.TryDecodeBase64(text, out var decoded))
            {
                _ = Sasl.TryParsePlain(decoded, out _, out _);
            }

            _ = Sasl.TryParsePlain(text, out _, out _);
        }, iter: Iterations);
    }

    [Fact]
    public void Smtp_paths_parse_or_are_refused_with_a_reason()
    {
        Gen.String[Gen.Char["<>@.:,\"\\ abcz09-_[]()=+\u00e9\0"], 0, 200].Sample(text =>
        {
            if (!EdgeServer.Smtp.Parsing.SmtpPath.TryParse(text, allowNull: true, out _, out var error))
            {
                Assert.False(string.IsNullOrEmpty(error));
            }
        }, iter: Iterations);
    }

    private static void Try(Action parse)
    {
        try
        {
            parse();
        }
        catch (ImapSyntaxException)
        {
        }
        catch (BadCharsetException)
        {
        }
    }
}
