using MailServerless.Testing;

namespace MailServerless.ConformanceTests.Durability;

/// <summary>The durability promise under SIGKILL: nothing acknowledged is lost, nothing is delivered twice.</summary>
public sealed class FaultHarnessTests : IAsyncLifetime
{
    private MailServerInstance _server = null!;

    public async Task InitializeAsync() => _server = await MailServerInstance.StartAsync("--Mail:Smtp:MaxConnectionsPerClient=100");

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Five_sigkills_while_eight_senders_deliver_lose_and_duplicate_nothing()
    {
        var report = await FaultHarness.RunAsync(_server, messages: 600, senders: 8, killCycles: 5);

        Assert.True(report.KillCycles == 5, $"only {report.KillCycles} kills happened while sending");
        Assert.True(report.Acknowledged > 300, $"acknowledged {report.Acknowledged}");
        Assert.True(report.Lost == 0 && report.Duplicated == 0,
            $"lost: {report.Lost}, duplicated: {report.Duplicated}\n{string.Join('\n', report.Problems.Take(20))}");
    }
}
