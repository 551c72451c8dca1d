using MailServerless.Testing;

namespace MailServerless.ConformanceTests.Smtp;

/// <summary>One running server shared by the SMTP conformance tests of a class.</summary>
public sealed class SmtpServerFixture : IAsyncLifetime
{
    public MailServerInstance Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await MailServerInstance.StartAsync();

    public async Task DisposeAsync() => await Server.DisposeAsync();
}
