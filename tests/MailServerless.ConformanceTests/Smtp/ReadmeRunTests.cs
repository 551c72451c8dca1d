using MailServerless.Testing;

namespace MailServerless.ConformanceTests.Smtp;

/// <summary>The one-command local run, as the README gives it, taking mail (on free ports, set as docs/configuration.md documents).</summary>
public sealed class ReadmeRunTests
{
    [Fact]
    public async Task Mail_sent_to_the_mx_port_and_submitted_with_auth_lands_in_the_maildir()
    {
        await using var server = await MailServerInstance.StartAsReadmeSaysAsync(Repository.Root);
        Assert.Contains($"Listening: smtp 127.0.0.1:{server.Smtp}", server.Output, StringComparison.Ordinal);
        var marker = Guid.NewGuid().ToString("N")[..12];

        var mx = await ProcessRunner.RunAsync("swaks", ["--server", $"127.0.0.1:{server.Smtp}", "--from", "a@remote.example",
            "--to", "user1@example.jp", "--header", $"Subject: {marker}-mx"]);
        var submission = await ProcessRunner.RunAsync("swaks", ["--server", $"127.0.0.1:{server.Submission}", "--tls", "--auth", "PLAIN",
            "--auth-user", "user2@example.jp", "--auth-password", MailServerInstance.Password, "--from", "user2@example.jp",
            "--to", "user1@example.jp", "--header", $"Subject: {marker}-587"]);

        Assert.True(mx.ExitCode == 0, mx.Output);
        Assert.True(submission.ExitCode == 0, submission.Output);
        await server.WaitForMessageAsync("user1", $"{marker}-mx");
        await server.WaitForMessageAsync("user1", $"{marker}-587");
    }
}
