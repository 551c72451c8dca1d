using MailServerless.Core.Administration;
using Microsoft.AspNetCore.Mvc;

namespace MailServerless.EdgeServer.WebConsole.Pages.Queue;

/// <summary>Postfix's <c>mailq</c> for the spool or SQS: what waits, why, and the dead letters with their redrive.</summary>
public sealed class QueueModel(QueueTools queue) : ConsolePage
{
    [BindProperty(SupportsGet = true)]
    public string? Queue { get; set; }

    [BindProperty(SupportsGet = true)]
    public bool Dead { get; set; }

    public IReadOnlyList<string> Names => queue.Names;

    public IReadOnlyList<QueuedMessageView> Messages { get; private set; } = [];

    public RequeuedDead? Requeued { get; private set; }

    /// <summary>The sender as <c>mailq</c> shows it: <c>&lt;&gt;</c> for a bounce's null sender.</summary>
    public static string SenderOf(QueuedMessageView message) => message?.Sender is { Length: > 0 } sender ? sender : "<>";

    [ApiOperation("GET /api/queue")]
    public async Task OnGetAsync()
    {
        Queue = string.IsNullOrEmpty(Queue) ? null : Queue;
        Messages = await queue.ListAsync(Actor, Queue, Dead, HttpContext.RequestAborted);
    }

    [ApiOperation("POST /api/queue/{queue}/requeue-dead")]
    public async Task<IActionResult> OnPostRequeueDeadAsync()
    {
        Requeued = await queue.RequeueDeadAsync(Actor, Queue!, null, HttpContext.RequestAborted);
        await OnGetAsync();
        return Page();
    }
}
