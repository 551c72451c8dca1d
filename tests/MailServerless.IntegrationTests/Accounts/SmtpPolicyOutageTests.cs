using MailServerless.Core.Accounts;
using MailServerless.Core.Accounts.Sql;
using MailServerless.Core.Passwords;
using MailServerless.EdgeServer.Smtp;
using MailServerless.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace MailServerless.IntegrationTests.Accounts;

/// <summary>A directory that does not answer gives 4xx at RCPT and MAIL time, never 5xx.</summary>
public sealed class SmtpPolicyOutageTests : IDisposable
{
    private readonly TempStore _store = new();

    public void Dispose() => _store.Dispose();

    private SmtpPolicy DownPolicy()
    {
        var broken = DirectoryDatabase.Sqlite("Data Source=/nonexistent/dir/directory.db;Mode=ReadOnly");
        var directory = new SqlAccountDirectory(broken, new PasswordService("MD5-CRYPT", "BLF-CRYPT", NullLogger<PasswordService>.Instance),
            NullLogger<SqlAccountDirectory>.Instance);
        return new SmtpPolicy(directory, new RecipientResolver(directory, "autoreply.example.jp"), _store.Store);
    }

    [Fact]
    public async Task Recipient_check_during_an_outage_is_a_temporary_451()
    {
        var reply = await DownPolicy().CheckRecipientAsync("user1@example.jp", authenticated: false, smtpUtf8: false, CancellationToken.None);

        Assert.True(reply.IsTransient);
        Assert.StartsWith("451 4.3.0", reply.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sender_check_during_an_outage_is_a_temporary_451()
    {
        var reply = await DownPolicy().CheckSenderAsync("alias@example.jp", "user1@example.jp", CancellationToken.None);

        Assert.StartsWith("451 4.3.0", reply, StringComparison.Ordinal);
    }
}
