using System.Text.RegularExpressions;
using MailServerless.Testing;

namespace MailServerless.IntegrationTests.Storage;

/// <summary>A Maildir that Dovecot delivered into and served over POP3 gives the same UIDLs from our server.</summary>
public sealed partial class Pop3DovecotUidlTests : IAsyncLifetime
{
    private MailServerInstance _server = null!;

    public async Task InitializeAsync() => _server = await MailServerInstance.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Uidls_match_dovecots_own_answer()
    {
        var root = _server.MaildirRoot("user3");
        Directory.CreateDirectory(root);
        using var dovecot = new DovecotMail(root);
        for (var i = 0; i < 3; i++)
        {
            dovecot.Deliver(DovecotMail.Message($"dovecot {i}"));
        }

        dovecot.Imap("a SELECT INBOX", "b UID STORE 2 +FLAGS (\\Deleted)");
        dovecot.Imap("a SELECT INBOX", "b EXPUNGE");
        var theirs = UidlLines().Matches(dovecot.Pop3("UIDL")).Select(m => m.Value).ToList();
        DovecotMail.TakeBack(root);

        var script = $$"""
            import poplib, ssl
            ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
            p = poplib.POP3_SSL("127.0.0.1", {{_server.Pop3s}}, context=ctx)
            p.user("user3@example.jp"); p.pass_("{{MailServerInstance.Password}}")
            for line in p.uidl()[1]: print(line.decode())
            p.quit()
            """;
        var ours = await ProcessRunner.RunAsync("python3", ["-c", script]);

        Assert.Equal(2, theirs.Count);
        Assert.Equal(theirs, ours.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Trim()).ToList());
    }

    [GeneratedRegex(@"(?m)^\d+ [0-9a-f]{16}")]
    private static partial Regex UidlLines();
}
