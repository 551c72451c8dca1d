using System.Collections;
using System.Globalization;
using System.Resources;
using System.Text.RegularExpressions;
using MailServerless.Core.Queue;
using MailServerless.EdgeServer.Api;
using MailServerless.EdgeServer.WebConsole;
using MailServerless.Testing;

namespace MailServerless.ConformanceTests.Console;

/// <summary>Every word the console shows comes from its resources, in English and in Japanese alike.</summary>
public sealed partial class ConsoleTextTests
{
    private static readonly string Pages = Path.Combine(Repository.Root, "edge-server", "MailServerless.EdgeServer", "WebConsole");

    [Fact]
    public void English_and_japanese_have_the_same_keys_and_no_empty_text()
    {
        var english = Texts(CultureInfo.InvariantCulture);
        var japanese = Texts(new CultureInfo("ja"));
        Assert.True(english.Count > 100, $"{english.Count} keys");
        Assert.Empty(english.Keys.Except(japanese.Keys).Order());
        Assert.Empty(japanese.Keys.Except(english.Keys).Order());
        Assert.Empty(english.Where(e => string.IsNullOrWhiteSpace(e.Value)).Select(e => e.Key));
        Assert.Empty(japanese.Where(e => string.IsNullOrWhiteSpace(e.Value)).Select(e => e.Key));
        // Japanese is written in Japanese: only names (DKIM, MX, English) may read the same in both.
        var untranslated = japanese.Where(j => j.Value == english[j.Key] && j.Value.Any(char.IsLower) && j.Key != "Language.en").Select(j => j.Key);
        Assert.Empty(untranslated);
    }

    [Fact]
    public void Every_key_a_page_names_is_in_both_languages()
    {
        var english = Texts(CultureInfo.InvariantCulture);
        var japanese = Texts(new CultureInfo("ja"));
        var used = new HashSet<string>(StringComparer.Ordinal);
        foreach (var file in Directory.EnumerateFiles(Pages, "*.cs*", SearchOption.AllDirectories).Where(f => f.EndsWith(".cs", StringComparison.Ordinal) || f.EndsWith(".cshtml", StringComparison.Ordinal)))
        {
            var text = File.ReadAllText(file);
            used.UnionWith(Lookup().Matches(text).Select(m => m.Groups["key"].Value).Where(k => !k.EndsWith('.')));
            used.UnionWith(KeyLiteral().Matches(text).Select(m => m.Groups["key"].Value));
        }

        // Keys made from a value: a DNS record's kind and status, a queued message's state.
        used.UnionWith(DomainDnsCheck.Kinds.Select(k => "Dns.Kind." + k));
        used.UnionWith(Enum.GetNames<DnsCheckStatus>().Select(s => "Dns.Status." + s));
        used.UnionWith(Enum.GetNames<QueueEntryState>().Select(s => "Queue.State." + s));
        used.UnionWith(ConsoleHosting.Languages.Select(l => "Language." + l));

        Assert.True(used.Count > 100, $"{used.Count} keys found in the pages");
        Assert.Empty(used.Where(k => !english.ContainsKey(k)).Order());
        Assert.Empty(used.Where(k => !japanese.ContainsKey(k)).Order());
        Assert.Empty(english.Keys.Except(used).Order()); // a word no page shows any more
    }

    [Fact]
    public void Pages_name_keys_and_never_write_words_of_their_own()
    {
        foreach (var file in Directory.EnumerateFiles(Path.Combine(Pages, "Pages"), "*.cshtml", SearchOption.AllDirectories))
        {
            // Text between tags, once Razor expressions and code lines are set aside, is markup only.
            var markup = string.Join('\n', File.ReadAllLines(file).Select(l => l.Trim())
                .Where(l => !l.StartsWith('@') && !l.StartsWith("var ", StringComparison.Ordinal) && l is not ("{" or "}" or "else")));
            foreach (Match text in BetweenTags().Matches(markup))
            {
                var words = RazorExpression().Replace(text.Groups["text"].Value, string.Empty).Replace("MailServerless", string.Empty, StringComparison.Ordinal).Trim();
                // Only names written the same in every language may stand in a page: the product's, TXT, DKIM, SSL/TLS.
                Assert.True(words.Where(char.IsLetter).All(char.IsAsciiLetterUpper),
                    $"{Path.GetFileName(file)}: \"{words}\" is written in the page, not taken from the resources");
            }
        }
    }

    private static Dictionary<string, string> Texts(CultureInfo culture)
    {
        var resources = new ResourceManager("MailServerless.EdgeServer.WebConsole.ConsoleText", typeof(ConsoleText).Assembly);
        var set = resources.GetResourceSet(culture, createIfNotExists: true, tryParents: false) ?? throw new InvalidOperationException($"no {culture.Name} resources");
        return set.Cast<DictionaryEntry>().ToDictionary(e => (string)e.Key, e => (string)e.Value!, StringComparer.Ordinal);
    }

    [GeneratedRegex("""(?:\bT|Words|words|text)\["(?<key>[A-Za-z.]+)["]""")]
    private static partial Regex Lookup();

    [GeneratedRegex("""["'](?<key>(?:Notice|Login|Error)\.[A-Za-z]+)["']""")]
    private static partial Regex KeyLiteral();

    [GeneratedRegex(""">(?<text>[^<>]+)<""")]
    private static partial Regex BetweenTags();

    [GeneratedRegex("""@(?:\((?:[^()]|\([^()]*\))*\)|[A-Za-z_]\w*(?:\.\w+|\[[^\]]*\]|\((?:[^()]|\([^()]*\))*\))*)|&[a-z]+;|&#x?[0-9a-f]+;""", RegexOptions.IgnoreCase)]
    private static partial Regex RazorExpression();
}
