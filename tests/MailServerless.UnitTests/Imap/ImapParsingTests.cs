using System.Text;
using MailServerless.EdgeServer.Imap;
using MailServerless.EdgeServer.Imap.Fetch;
using MailServerless.EdgeServer.Imap.Parsing;

namespace MailServerless.UnitTests.Imap;

public sealed class ImapParsingTests
{
    [Fact]
    public void Tokenizer_reads_atoms_quoted_strings_lists_literals_and_bracketed_sections()
    {
        using var literal = new ImapLiteral(new MemoryStream(Encoding.UTF8.GetBytes("pa ss\"word")), 10);
        var tokens = ImapTokenizer.Tokenize(
            "a1 FETCH 1:* (FLAGS BODY.PEEK[HEADER.FIELDS (From \"To\")]<0.100>) \"q \\\" \\\\\" \0 NIL ()", [literal]);

        Assert.Equal(["a1", "FETCH", "1:*"], tokens.Take(3).Select(t => t.Text));
        var items = tokens[3];
        Assert.Equal(ImapTokenKind.List, items.Kind);
        Assert.Equal(["FLAGS", "BODY.PEEK[HEADER.FIELDS (From \"To\")]<0.100>"], items.Items.Select(t => t.Text));
        Assert.Equal("q \" \\", tokens[4].Text);
        Assert.Equal(ImapTokenKind.Quoted, tokens[4].Kind);
        Assert.Equal("pa ss\"word", tokens[5].Text);
        Assert.True(tokens[6].IsNil);
        Assert.Empty(tokens[7].Items);
    }

    [Theory]
    [InlineData("a (unclosed")]
    [InlineData("a \"unterminated")]
    [InlineData("a \"bad \\x escape\"")]
    [InlineData("a x)")]
    [InlineData("a BODY[HEADER")]
    [InlineData("a \"x\"y")]
    public void Tokenizer_rejects_malformed_syntax(string text) =>
        Assert.Throws<ImapSyntaxException>(() => ImapTokenizer.Tokenize(text, []));

    [Fact]
    public void Tokenizer_refuses_lists_nested_without_end() =>
        Assert.Throws<ImapSyntaxException>(() => ImapTokenizer.Tokenize("a " + new string('(', 100) + new string(')', 100), []));

    [Fact]
    public void Sequence_sets_resolve_star_reversed_ranges_and_the_largest_numbers()
    {
        var set = SequenceSet.Parse("1:3,7,*:9,4294967295");

        Assert.True(set.Contains(2, largest: 12));
        Assert.True(set.Contains(10, largest: 12));
        Assert.False(set.Contains(5, largest: 12));
        Assert.True(set.Contains(uint.MaxValue, largest: 12));
        Assert.Equal([(1u, 3u), (7u, 7u), (9u, 12u), (uint.MaxValue, uint.MaxValue)], set.Ranges(12));
    }

    [Theory]
    [InlineData("")]
    [InlineData("0")]
    [InlineData("01")]
    [InlineData("1:")]
    [InlineData("1,,2")]
    [InlineData("4294967296")]
    [InlineData("-1")]
    [InlineData("$,1")]
    [InlineData("$:2")]
    public void Invalid_sequence_sets_are_syntax_errors(string text) =>
        Assert.Throws<ImapSyntaxException>(() => SequenceSet.Parse(text));

    [Fact]
    public void Dollar_alone_names_the_saved_search_result_and_matches_nothing_by_number()
    {
        var saved = SequenceSet.Parse("$");
        Assert.True(saved.IsSaved);
        Assert.False(saved.Contains(1, largest: 10));
        Assert.False(SequenceSet.Parse("1:*").IsSaved);
    }

    [Fact]
    public void Fetch_macros_expand_and_uid_fetch_always_includes_the_uid()
    {
        var all = FetchRequest.Parse(ImapToken.Atom("ALL"), byUid: true);
        var sections = FetchRequest.Parse(ImapTokenizer.Tokenize("(RFC822.HEADER BODY[1.2.MIME] BODY.PEEK[TEXT]<10.20>)", [])[0], byUid: false);

        Assert.Equal([FetchItemKind.Uid, FetchItemKind.Flags, FetchItemKind.InternalDate, FetchItemKind.Rfc822Size, FetchItemKind.Envelope],
            all.Items.Select(i => i.Kind));
        Assert.Equal(["RFC822.HEADER", null, null], sections.Items.Select(i => i.Name));
        Assert.Equal("BODY[1.2.MIME]", sections.Items[1].Section!.ResponseName);
        Assert.True(sections.Items[1].SetsSeen);
        Assert.False(sections.Items[2].SetsSeen);
        Assert.Equal("BODY[TEXT]<10>", sections.Items[2].Section!.ResponseName);
        Assert.Throws<ImapSyntaxException>(() => FetchRequest.Parse(ImapToken.Atom("BODY[0]"), false));
        Assert.Throws<ImapSyntaxException>(() => FetchRequest.Parse(ImapToken.Atom("BODY[MIME]"), false));
        Assert.Throws<ImapSyntaxException>(() => FetchRequest.Parse(ImapToken.Atom("BODY[HEADER.FIELDS]"), false));
        Assert.Throws<ImapSyntaxException>(() => FetchRequest.Parse(ImapToken.Atom("BODY[]<5>"), false));
    }

    [Fact]
    public void Header_fields_keep_folded_lines_and_end_with_the_blank_line()
    {
        var headers = Encoding.ASCII.GetBytes("Subject: a\r\n folded\r\nFrom: x@y\r\nTo: z@w\r\n\r\n");

        Assert.Equal("Subject: a\r\n folded\r\n\r\n", Encoding.ASCII.GetString(BodySection.FilterFields(headers, ["subject"], exclude: false)));
        Assert.Equal("Subject: a\r\n folded\r\nTo: z@w\r\n\r\n", Encoding.ASCII.GetString(BodySection.FilterFields(headers, ["FROM"], exclude: true)));
        Assert.Equal("\r\n", Encoding.ASCII.GetString(BodySection.FilterFields(headers, ["Cc"], exclude: false)));
    }

    [Fact]
    public void Strings_are_quoted_escaped_or_sent_as_literals()
    {
        Assert.Equal("\"a \\\"b\\\" \\\\c\"", ImapString.Quote("a \"b\" \\c"));
        Assert.Equal("{7}\r\nGrüße", ImapString.Quote("Grüße"));
        Assert.Equal("{3}\r\na\r\n", ImapString.Quote("a\r\n"));
        Assert.Equal("NIL", ImapString.NString(null));
        Assert.Equal("Sent", ImapString.AString("Sent"));
        Assert.Equal("\"Two Words\"", ImapString.AString("Two Words"));
    }

    [Theory]
    [InlineData("", "*", "Projekte.Über", true)]
    [InlineData("", "%", "Projekte.Über", false)]
    [InlineData("", "Projekte.%", "Projekte.Über", true)]
    [InlineData("Projekte.", "&ANw-ber", "Projekte.Über", true)]
    [InlineData("", "inbox", "INBOX", true)]
    [InlineData("", "In%", "INBOX", true)]
    [InlineData("", "Sent", "Sent.Old", false)]
    [InlineData("", "a.b", "aXb", false)]
    public void List_patterns_match_with_star_and_percent(string reference, string pattern, string folder, bool matches) =>
        Assert.Equal(matches, MailboxNames.Pattern(reference, pattern, utf8: false).IsMatch(folder));

    [Theory]
    [InlineData("&ANw-ber", "Über")]
    [InlineData("inbox.Sub", "INBOX.Sub")]
    [InlineData("Trash.", "Trash")]
    public void Wire_names_become_folder_names(string wire, string folder)
    {
        Assert.True(MailboxNames.TryFromWire(wire, utf8: false, out var name, out _));
        Assert.Equal(folder, name);
    }

    [Theory]
    [InlineData("Über", "Über")]
    [InlineData("&ANw-ber", "&ANw-ber")]
    [InlineData("inbox.日本語", "INBOX.日本語")]
    public void A_utf8_session_names_folders_as_written_without_modified_utf7(string wire, string folder)
    {
        Assert.True(MailboxNames.TryFromWire(wire, utf8: true, out var name, out _));
        Assert.Equal(folder, name);
    }

    [Theory]
    [InlineData("日本語", false, "&ZeVnLIqe-")]
    [InlineData("日本語", true, "\"日本語\"")]
    [InlineData("a b", true, "\"a b\"")]
    [InlineData("Sent", true, "Sent")]
    public void Folder_names_go_out_in_modified_utf7_or_as_quoted_utf8(string folder, bool utf8, string wire) =>
        Assert.Equal(wire, MailboxNames.ToWire(folder, utf8));

    [Fact]
    public void A_utf8_list_pattern_is_not_decoded_as_modified_utf7() =>
        Assert.False(MailboxNames.Pattern(string.Empty, "&ANw-ber", utf8: true).IsMatch("Über"));

    [Theory]
    [InlineData("../etc")]
    [InlineData("a/b")]
    [InlineData("a..b")]
    [InlineData("&Jjo")]
    [InlineData("")]
    public void Unsafe_or_invalid_wire_names_are_refused(string wire) =>
        Assert.False(MailboxNames.TryFromWire(wire, utf8: false, out _, out _));
}
