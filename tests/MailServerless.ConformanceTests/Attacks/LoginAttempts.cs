using System.Net;
using System.Text;
using MailServerless.ConformanceTests.Imap;
using MailServerless.ConformanceTests.Smtp;
using MailServerless.Testing;

namespace MailServerless.ConformanceTests.Attacks;

/// <summary>One login attempt over each protocol (all over TLS), from a chosen loopback address; returns the server's answer.</summary>
internal static class LoginAttempts
{
    public static async Task<string> SmtpAsync(MailServerInstance server, IPAddress from, string user, string password)
    {
        await using var wire = await SmtpWire.ConnectAsync(server.Submissions, implicitTls: true, from);
        await wire.ReadReplyAsync();
        await wire.CommandAsync("EHLO client.example");
        return await wire.CommandAsync("AUTH PLAIN " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"\0{user}\0{password}")));
    }

    public static async Task<string> ImapAsync(MailServerInstance server, IPAddress from, string user, string password)
    {
        await using var wire = await ImapWire.ConnectAsync(server.Imaps, implicitTls: true, from);
        return await wire.ResultAsync($"a LOGIN {user} {password}");
    }

    public static async Task<string> Pop3Async(MailServerInstance server, IPAddress from, string user, string password)
    {
        await using var wire = await SmtpWire.ConnectAsync(server.Pop3s, implicitTls: true, from);
        await wire.ReadReplyAsync();
        await wire.CommandAsync($"USER {user}");
        return await wire.CommandAsync($"PASS {password}");
    }

    /// <summary>The protocols in turn: attempt <paramref name="index"/> goes to SMTP, IMAP or POP3.</summary>
    public static Task<string> AnyAsync(int index, MailServerInstance server, IPAddress from, string user, string password) =>
        (index % 3) switch
        {
            0 => SmtpAsync(server, from, user, password),
            1 => ImapAsync(server, from, user, password),
            _ => Pop3Async(server, from, user, password),
        };
}
