using System.CommandLine;
using MailServerless.Core.Administration;

namespace MailServerless.EdgeServer.Cli;

/// <summary>Domains, mailboxes, aliases and alias domains: PostfixAdmin's tables, with its options' names.</summary>
public static partial class AdminCommands
{
    private static Command Domains(Verbs verbs)
    {
        var domain = Name("DOMAIN", "The domain (an internationalised name is kept in its ASCII form).");
        var description = Text("--description", "What the domain is.");
        var aliases = Count("--aliases", "Aliases it may have: 0 unlimited, -1 none.");
        var mailboxes = Count("--mailboxes", "Mailboxes it may have: 0 unlimited, -1 none.");
        var maxQuota = Megabytes("--maxquota", "Largest quota of one mailbox.", "--max-quota");
        var quota = Megabytes("--quota", "Total of its mailboxes' quotas.");
        var transport = Text("--transport", "Postfix's transport for the domain (virtual, or such as relay:[host]:25).");
        var postmaster = Text("--postmaster", "Where postmaster, abuse, hostmaster and webmaster go: a mailbox or an outside address " +
                                              "(left out: the domain's first mailbox).");
        var backupMx = Flag("--backupmx", "Accept its mail and relay it to its primary MX (a backup MX domain).", "--backup-mx");
        var inactive = Flag("--inactive", "Make it inactive (mail to it is refused).");
        var setBackupMx = Switch("--backupmx", "A backup MX domain");
        var active = Switch("--active", "Active");
        var cascade = Flag("--cascade", "Delete its mailboxes, aliases and alias domains too.");
        var removeMaildirs = Flag("--remove-maildirs", "With --cascade: remove the mailboxes' Maildirs too.");
        var limit = Limit();
        var offset = Offset();

        return Group("domain", "Domains (PostfixAdmin's domain table).",
            verbs.Verb("add", "Adds a domain, with PostfixAdmin's limits unless given (Mail:Admin:Domain*).", run => run.Get<Domains>().CreateAsync(
                    run.Actor,
                    new DomainInput(run.Value(domain), run.Value(description), run.Value(aliases), run.Value(mailboxes), run.Value(maxQuota),
                        run.Value(quota), run.Value(backupMx), !run.Value(inactive), run.Value(transport), run.Value(postmaster)),
                    run.Cancellation).Boxed(),
                domain, description, aliases, mailboxes, maxQuota, quota, transport, backupMx, postmaster, inactive),
            verbs.Verb("edit", "Changes a domain; what is not given stays.", run => run.Get<Domains>().UpdateAsync(
                    run.Actor, run.Value(domain),
                    new DomainInput(null, run.Value(description), run.Value(aliases), run.Value(mailboxes), run.Value(maxQuota),
                        run.Value(quota), run.Value(setBackupMx), run.Value(active), run.Value(transport), run.Value(postmaster)),
                    run.Cancellation).Boxed(),
                domain, description, aliases, mailboxes, maxQuota, quota, transport, setBackupMx, active, postmaster),
            verbs.Verb("show", "Shows a domain, with how many mailboxes and aliases it has.",
                run => run.Get<Domains>().GetAsync(run.Actor, run.Value(domain), run.Cancellation).Boxed(), domain),
            verbs.Verb("list", "Lists the domains.", async run =>
                    (object)(await run.Get<Domains>().ListAsync(run.Actor, new PageRequest(run.Value(offset), run.Value(limit)), run.Cancellation)).Items,
                limit, offset),
            verbs.Verb("delete", "Deletes a domain; one with mailboxes only with --cascade.", async run =>
                {
                    var provisioning = run.Get<IMailboxProvisioning>();
                    foreach (var maildir in await run.Get<Domains>().DeleteAsync(run.Actor, run.Value(domain), run.Value(cascade), run.Cancellation))
                    {
                        await provisioning.DeletedAsync(maildir, run.Value(removeMaildirs), run.Cancellation);
                    }

                    return $"deleted {run.Value(domain)}";
                },
                domain, cascade, removeMaildirs));
    }

    private static Command Mailboxes(Verbs verbs)
    {
        var address = Name("ADDRESS", "The mailbox's address (its login).");
        var name = Text("--name", "The owner's name.");
        var quota = Bytes("--quota", "The mailbox's quota (left out: the domain's largest; 0 unlimited).");
        var inactive = Flag("--inactive", "Make it inactive (no mail, no login).");
        var active = Switch("--active", "Active");
        var removeMaildir = Flag("--remove-maildir", "Remove its Maildir too (kept by default, as PostfixAdmin does).");
        var domain = DomainFilter();
        var limit = Limit();
        var offset = Offset();

        return Group("mailbox", "Mailboxes (PostfixAdmin's mailbox table); passwords are read from standard input.",
            verbs.Verb("add", "Adds a mailbox; its password is the first line of standard input.", async run => await run.Get<Mailboxes>().CreateAsync(
                    run.Actor, new MailboxInput(run.Value(address), await run.PasswordAsync(), run.Value(name), run.Value(quota), !run.Value(inactive)),
                    run.Cancellation),
                address, name, quota, inactive),
            verbs.Verb("edit", "Changes a mailbox's name, quota or state; what is not given stays.", run => run.Get<Mailboxes>().UpdateAsync(
                    run.Actor, run.Value(address), new MailboxInput(null, null, run.Value(name), run.Value(quota), run.Value(active)), run.Cancellation).Boxed(),
                address, name, quota, active),
            verbs.Verb("password", "Sets a mailbox's password from the first line of standard input.", async run => await run.Get<Mailboxes>().UpdateAsync(
                    run.Actor, run.Value(address), new MailboxInput(Password: await run.PasswordAsync()), run.Cancellation),
                address),
            verbs.Verb("show", "Shows a mailbox and what its Maildir holds.",
                run => run.Get<Mailboxes>().GetAsync(run.Actor, run.Value(address), run.Cancellation).Boxed(), address),
            verbs.Verb("list", "Lists the mailboxes.", async run =>
                    (object)(await run.Get<Mailboxes>().ListAsync(run.Actor, new PageRequest(run.Value(offset), run.Value(limit), run.Value(domain)), run.Cancellation)).Items,
                domain, limit, offset),
            verbs.Verb("delete", "Deletes a mailbox (its Maildir stays unless --remove-maildir).", async run =>
                {
                    await run.Get<Mailboxes>().DeleteAsync(run.Actor, run.Value(address), run.Value(removeMaildir), run.Cancellation);
                    return $"deleted {run.Value(address)}";
                },
                address, removeMaildir));
    }

    private static Command Aliases(Verbs verbs)
    {
        var address = Name("ADDRESS", "The alias: an address, or @domain for a catch-all.");
        var targets = Names("TARGET", "Where its mail goes (addresses here or elsewhere).", ArgumentArity.OneOrMore);
        var newTargets = Names("TARGET", "New targets, replacing the old ones (none: keep them).", ArgumentArity.ZeroOrMore);
        var inactive = Flag("--inactive", "Make it inactive.");
        var active = Switch("--active", "Active");
        var domain = DomainFilter();
        var limit = Limit();
        var offset = Offset();

        return Group("alias", "Aliases (PostfixAdmin's alias table, not mailboxes' own rows: see forward).",
            verbs.Verb("add", "Adds an alias.", run => run.Get<Aliases>().CreateAsync(
                    run.Actor, new AliasInput(run.Value(address), run.Value(targets), !run.Value(inactive)), run.Cancellation).Boxed(),
                address, targets, inactive),
            verbs.Verb("edit", "Changes an alias's targets or state.", run => run.Get<Aliases>().UpdateAsync(
                    run.Actor, run.Value(address), new AliasInput(null, run.Value(newTargets) is { Length: > 0 } given ? given : null, run.Value(active)),
                    run.Cancellation).Boxed(),
                address, newTargets, active),
            verbs.Verb("show", "Shows an alias.", run => run.Get<Aliases>().GetAsync(run.Actor, run.Value(address), run.Cancellation).Boxed(), address),
            verbs.Verb("list", "Lists the aliases.", async run =>
                    (object)(await run.Get<Aliases>().ListAsync(run.Actor, new PageRequest(run.Value(offset), run.Value(limit), run.Value(domain)), run.Cancellation)).Items,
                domain, limit, offset),
            verbs.Verb("delete", "Deletes an alias.", async run =>
                {
                    await run.Get<Aliases>().DeleteAsync(run.Actor, run.Value(address), run.Cancellation);
                    return $"deleted {run.Value(address)}";
                },
                address));
    }

    private static Command AliasDomains(Verbs verbs)
    {
        var aliasDomain = Name("ALIAS-DOMAIN", "The domain whose addresses are another's (user@alias → user@target).");
        var target = Name("TARGET-DOMAIN", "The domain its mail goes to.");
        var newTarget = Text("--target", "The domain its mail goes to from now on.");
        var inactive = Flag("--inactive", "Make it inactive.");
        var active = Switch("--active", "Active");
        var domain = DomainFilter();
        var limit = Limit();
        var offset = Offset();

        return Group("alias-domain", "Alias domains (PostfixAdmin's alias_domain table).",
            verbs.Verb("add", "Makes a domain an alias of another.", run => run.Get<AliasDomains>().CreateAsync(
                    run.Actor, new AliasDomainInput(run.Value(aliasDomain), run.Value(target), !run.Value(inactive)), run.Cancellation).Boxed(),
                aliasDomain, target, inactive),
            verbs.Verb("edit", "Changes an alias domain's target or state.", run => run.Get<AliasDomains>().UpdateAsync(
                    run.Actor, run.Value(aliasDomain), new AliasDomainInput(null, run.Value(newTarget), run.Value(active)), run.Cancellation).Boxed(),
                aliasDomain, newTarget, active),
            verbs.Verb("show", "Shows an alias domain.",
                run => run.Get<AliasDomains>().GetAsync(run.Actor, run.Value(aliasDomain), run.Cancellation).Boxed(), aliasDomain),
            verbs.Verb("list", "Lists the alias domains.", async run =>
                    (object)(await run.Get<AliasDomains>().ListAsync(run.Actor, new PageRequest(run.Value(offset), run.Value(limit), run.Value(domain)), run.Cancellation)).Items,
                domain, limit, offset),
            verbs.Verb("delete", "Deletes an alias domain.", async run =>
                {
                    await run.Get<AliasDomains>().DeleteAsync(run.Actor, run.Value(aliasDomain), run.Cancellation);
                    return $"deleted {run.Value(aliasDomain)}";
                },
                aliasDomain));
    }
}

/// <summary>A verb's typed answer as the <see cref="object"/> the printer takes.</summary>
internal static class TaskBoxing
{
    public static async Task<object> Boxed<T>(this Task<T> task)
        where T : notnull => await task;
}
