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
            verbs.Show("Shows a domain, with how many mailboxes and aliases it has.", domain,
                (run, key) => run.Get<Domains>().GetAsync(run.Actor, key, run.Cancellation)),
            verbs.List("Lists the domains.", (run, page) => run.Get<Domains>().ListAsync(run.Actor, page, run.Cancellation), byDomain: false),
            verbs.Delete("Deletes a domain; one with mailboxes only with --cascade.", domain, async (run, key) =>
                {
                    var provisioning = run.Get<IMailboxProvisioning>();
                    foreach (var maildir in await run.Get<Domains>().DeleteAsync(run.Actor, key, run.Value(cascade), run.Cancellation))
                    {
                        await provisioning.DeletedAsync(maildir, run.Value(removeMaildirs), run.Cancellation);
                    }
                },
                cascade, removeMaildirs));
    }

    private static Command Mailboxes(Verbs verbs)
    {
        var address = Name("ADDRESS", "The mailbox's address (its login).");
        var name = Text("--name", "The owner's name.");
        var quota = Bytes("--quota", "The mailbox's quota (left out: the domain's largest; 0 unlimited).");
        var inactive = Flag("--inactive", "Make it inactive (no mail, no login).");
        var active = Switch("--active", "Active");
        var removeMaildir = Flag("--remove-maildir", "Remove its Maildir too (kept by default, as PostfixAdmin does).");
        var language = Text("--language", "The language of the server's messages to the owner (quota warnings): en or ja; empty: the server's default.");

        return Group("mailbox", "Mailboxes (PostfixAdmin's mailbox table); passwords are read from standard input.",
            verbs.Verb("add", "Adds a mailbox; its password is the first line of standard input.", async run => await run.Get<Mailboxes>().CreateAsync(
                    run.Actor, new MailboxInput(run.Value(address), await run.PasswordAsync(), run.Value(name), run.Value(quota), !run.Value(inactive), run.Value(language)),
                    run.Cancellation),
                address, name, quota, inactive, language),
            verbs.Verb("edit", "Changes a mailbox's name, quota, state or language; what is not given stays.", run => run.Get<Mailboxes>().UpdateAsync(
                    run.Actor, run.Value(address), new MailboxInput(null, null, run.Value(name), run.Value(quota), run.Value(active), run.Value(language)),
                    run.Cancellation).Boxed(),
                address, name, quota, active, language),
            verbs.Verb("password", "Sets a mailbox's password from the first line of standard input.", async run => await run.Get<Mailboxes>().UpdateAsync(
                    run.Actor, run.Value(address), new MailboxInput(Password: await run.PasswordAsync()), run.Cancellation),
                address),
            verbs.Show("Shows a mailbox and what its Maildir holds.", address, (run, key) => run.Get<Mailboxes>().GetAsync(run.Actor, key, run.Cancellation)),
            verbs.List("Lists the mailboxes.", (run, page) => run.Get<Mailboxes>().ListAsync(run.Actor, page, run.Cancellation)),
            verbs.Delete("Deletes a mailbox (its Maildir stays unless --remove-maildir).", address,
                (run, key) => run.Get<Mailboxes>().DeleteAsync(run.Actor, key, run.Value(removeMaildir), run.Cancellation), removeMaildir));
    }

    private static Command Aliases(Verbs verbs)
    {
        var address = Name("ADDRESS", "The alias: an address, or @domain for a catch-all.");
        var targets = Names("TARGET", "Where its mail goes (addresses here or elsewhere).", ArgumentArity.OneOrMore);
        var newTargets = Names("TARGET", "New targets, replacing the old ones (none: keep them).", ArgumentArity.ZeroOrMore);
        var inactive = Flag("--inactive", "Make it inactive.");
        var active = Switch("--active", "Active");

        return Group("alias", "Aliases (PostfixAdmin's alias table, not mailboxes' own rows: see forward).",
            verbs.Verb("add", "Adds an alias.", run => run.Get<Aliases>().CreateAsync(
                    run.Actor, new AliasInput(run.Value(address), run.Value(targets), !run.Value(inactive)), run.Cancellation).Boxed(),
                address, targets, inactive),
            verbs.Verb("edit", "Changes an alias's targets or state.", run => run.Get<Aliases>().UpdateAsync(
                    run.Actor, run.Value(address), new AliasInput(null, run.Value(newTargets) is { Length: > 0 } given ? given : null, run.Value(active)),
                    run.Cancellation).Boxed(),
                address, newTargets, active),
            verbs.Show("Shows an alias.", address, (run, key) => run.Get<Aliases>().GetAsync(run.Actor, key, run.Cancellation)),
            verbs.List("Lists the aliases.", (run, page) => run.Get<Aliases>().ListAsync(run.Actor, page, run.Cancellation)),
            verbs.Delete("Deletes an alias.", address, (run, key) => run.Get<Aliases>().DeleteAsync(run.Actor, key, run.Cancellation)));
    }

    private static Command AliasDomains(Verbs verbs)
    {
        var aliasDomain = Name("ALIAS-DOMAIN", "The domain whose addresses are another's (user@alias → user@target).");
        var target = Name("TARGET-DOMAIN", "The domain its mail goes to.");
        var newTarget = Text("--target", "The domain its mail goes to from now on.");
        var inactive = Flag("--inactive", "Make it inactive.");
        var active = Switch("--active", "Active");

        return Group("alias-domain", "Alias domains (PostfixAdmin's alias_domain table).",
            verbs.Verb("add", "Makes a domain an alias of another.", run => run.Get<AliasDomains>().CreateAsync(
                    run.Actor, new AliasDomainInput(run.Value(aliasDomain), run.Value(target), !run.Value(inactive)), run.Cancellation).Boxed(),
                aliasDomain, target, inactive),
            verbs.Verb("edit", "Changes an alias domain's target or state.", run => run.Get<AliasDomains>().UpdateAsync(
                    run.Actor, run.Value(aliasDomain), new AliasDomainInput(null, run.Value(newTarget), run.Value(active)), run.Cancellation).Boxed(),
                aliasDomain, newTarget, active),
            verbs.Show("Shows an alias domain.", aliasDomain, (run, key) => run.Get<AliasDomains>().GetAsync(run.Actor, key, run.Cancellation)),
            verbs.List("Lists the alias domains.", (run, page) => run.Get<AliasDomains>().ListAsync(run.Actor, page, run.Cancellation)),
            verbs.Delete("Deletes an alias domain.", aliasDomain, (run, key) => run.Get<AliasDomains>().DeleteAsync(run.Actor, key, run.Cancellation)));
    }
}

/// <summary>A verb's typed answer as the <see cref="object"/> the printer takes.</summary>
internal static class TaskBoxing
{
    public static async Task<object> Boxed<T>(this Task<T> task)
        where T : notnull => await task;
}
