using MailServerless.Hosting;
using MailServerless.Functions;
using MailServerless.Functions.Outbound;

namespace MailServerless.Lambda;

/// <summary>
/// The inbound queue's Lambda function (managed <c>dotnet10</c> runtime, handler
/// <c>MailServerless.Lambda::MailServerless.Lambda.DeliverInboundHandler::HandleAsync</c>):
/// SQS event in, partial batch response out, as plain streams (no Lambda package needed).
/// </summary>
public sealed class DeliverInboundHandler
{
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Performance", "CA1822", Justification = "Lambda's runtime makes the handler and calls it.")]
    public Task<Stream> HandleAsync(Stream input) =>
        FunctionHost.InvokeAsync(input, QueueServices.Inbound, services => services.GetRequiredService<DeliverInbound>());
}

/// <summary>
/// The outbound queue's Lambda function (<c>...Lambda.RelayOutboundHandler::HandleAsync</c>). The first invocation of
/// an execution environment logs in to the smarthost once (<see cref="RelayLoginCheck"/>), so refused credentials
/// are one clear error at start-up rather than a deferral per message.
/// </summary>
public sealed class RelayOutboundHandler
{
    private static readonly Lock Gate = new();
    private static Task? _loginChecked;

    [System.Diagnostics.CodeAnalysis.SuppressMessage("Performance", "CA1822", Justification = "Lambda's runtime makes the handler and calls it.")]
    public async Task<Stream> HandleAsync(Stream input)
    {
        Task check;
        lock (Gate)
        {
            check = _loginChecked ??= FunctionHost.Services.GetRequiredService<RelayLoginCheck>().RunAsync(CancellationToken.None);
        }

        await check;
        return await FunctionHost.InvokeAsync(input, QueueServices.Outbound, services => services.GetRequiredService<RelayOutbound>());
    }
}
