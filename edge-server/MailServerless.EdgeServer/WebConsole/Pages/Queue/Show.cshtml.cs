using MailServerless.Core.Administration;
using Microsoft.AspNetCore.Mvc;

namespace MailServerless.EdgeServer.WebConsole.Pages.Queue;

/// <summary>One queued message (<c>postcat -eh</c>) and what can be done with it: retry now, hold, release, requeue a dead letter, delete.</summary>
public sealed class QueuedMessageModel(QueueTools queue) : ConsolePage
{
    [BindProperty(SupportsGet = true)]
    public string Queue { get; set; } = string.Empty;

    [BindProperty(SupportsGet = true)]
    public string Id { get; set; } = string.Empty;

    public QueuedMessageDetail Detail { get; private set; } = null!;

    private string Here => $"/queue/{Uri.EscapeDataString(Queue)}/{Uri.EscapeDataString(Id)}";

    [ApiOperation("GET /api/queue/{queue}/{id}")]
    public async Task OnGetAsync() => Detail = await queue.ShowAsync(Actor, Queue, Id, HttpContext.RequestAborted);

    [ApiOperation("POST /api/queue/{queue}/{id}/retry")]
    public async Task<IActionResult> OnPostRetryAsync()
    {
        await queue.RetryAsync(Actor, Queue, Id, HttpContext.RequestAborted);
        return Done("/queue", "Notice.Retried");
    }

    [ApiOperation("POST /api/queue/{queue}/{id}/hold")]
    public async Task<IActionResult> OnPostHoldAsync()
    {
        await queue.HoldAsync(Actor, Queue, Id, HttpContext.RequestAborted);
        return Done(Here);
    }

    [ApiOperation("POST /api/queue/{queue}/{id}/release")]
    public async Task<IActionResult> OnPostReleaseAsync()
    {
        await queue.ReleaseAsync(Actor, Queue, Id, HttpContext.RequestAborted);
        return Done(Here);
    }

    [ApiOperation("POST /api/queue/{queue}/requeue-dead")]
    public async Task<IActionResult> OnPostRequeueAsync()
    {
        await queue.RequeueDeadAsync(Actor, Queue, Id, HttpContext.RequestAborted);
        return Done("/queue", "Notice.Retried");
    }

    [ApiOperation("DELETE /api/queue/{queue}/{id}")]
    public async Task<IActionResult> OnPostDeleteAsync()
    {
        await queue.DeleteAsync(Actor, Queue, Id, HttpContext.RequestAborted);
        return Done("/queue", "Notice.Deleted");
    }
}
