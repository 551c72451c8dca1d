using System.CommandLine;
using MailServerless.Core.Administration;

namespace MailServerless.EdgeServer.Cli;

/// <summary><c>admin quota get|recalc</c>: Dovecot's <c>doveadm quota get</c> and <c>doveadm quota recalc</c>.</summary>
public static partial class AdminCommands
{
    private static Command Quota(Verbs verbs)
    {
        Argument<string?> Address() =>
            new Argument<string?>("ADDRESS") { Description = "A mailbox (left out: every mailbox, or those of --domain).", Arity = ArgumentArity.ZeroOrOne }.RefusingOptions();
        var getAddress = Address();
        var recalcAddress = Address();
        var getDomain = DomainFilter();
        var recalcDomain = DomainFilter();

        return Group("quota", "Mailboxes' use of their quota, from each Maildir's maildirsize (as Dovecot's quota counts it).",
            verbs.Verb("get", "Shows what mailboxes use of their quota (doveadm quota get).",
                run => QuotasAsync(run, run.Value(getAddress), run.Value(getDomain), recalculate: false), getAddress, getDomain),
            verbs.Verb("recalc", "Counts the messages again and rewrites maildirsize (doveadm quota recalc), then shows the use.",
                run => QuotasAsync(run, run.Value(recalcAddress), run.Value(recalcDomain), recalculate: true), recalcAddress, recalcDomain));
    }

    private static async Task<object> QuotasAsync(Invocation run, string? address, string? domain, bool recalculate) =>
        address is { } one
            ? [await run.Get<Quotas>().GetAsync(run.Actor, one, recalculate, run.Cancellation)]
            : await run.Get<Quotas>().ListAsync(run.Actor, domain, recalculate, run.Cancellation);
}
