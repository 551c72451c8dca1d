using MailServerless.EdgeServer.Hosting;
using MailServerless.Functions;
using MailServerless.Functions.Outbound;

namespace MailServerless.EdgeServer.Lambda;

/// <summary>
/// The inbound queue's Lambda function (managed <c>dotnet10</c> runtime, handler
/// <c>MailServerless.EdgeServer::MailServerless.EdgeServer.Lambda.DeliverInboundHandler::HandleAsync</c>):
/// SQS event in, partial batch response out, as plain streams (no Lambda package needed).
/// </summary>
public sealed class DeliverInboundHandler
{
    public Task<Stream> HandleAsync(Stream input) =>
        FunctionHost.InvokeAsync(input, QueueServices.Inbound, services => services.GetRequiredService<DeliverInbound>());
}

/// <summary>The outbound queue's Lambda function (<c>...Lambda.RelayOutboundHandler::HandleAsync</c>).</summary>
public sealed class RelayOutboundHandler
{
    public Task<Stream> HandleAsync(Stream input) =>
        FunctionHost.InvokeAsync(input, QueueServices.Outbound, services => services.GetRequiredService<RelayOutbound>());
}
