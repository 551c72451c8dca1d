using System.CommandLine;
using MailServerless.Core.Administration;
using MailServerless.EdgeServer.Api;
using MailServerless.Functions.Outbound;

namespace MailServerless.EdgeServer.Cli;

/// <summary>Admins, API keys, vacations, forwarding, DKIM keys and the log: the rest of what the admin API does.</summary>
public static partial class AdminCommands
{
    private static Command Admins(Verbs verbs)
    {
        var username = Name("USERNAME", "The admin's login (an address).");
        var superadmin = Flag("--superadmin", "A superadmin: every domain, and domains, admins and API keys themselves.");
        var setSuperadmin = Switch("--superadmin", "A superadmin");
        var domains = new Option<string[]>("--domain") { Description = "A domain the admin manages (repeat for more; on edit, replaces the list).", Arity = ArgumentArity.OneOrMore };
        var inactive = Flag("--inactive", "Make the admin inactive (no login).");
        var active = Switch("--active", "Active");

        // Not "admin admin": a command cannot share its name with the command it is in.
        return Group("administrator", "Admins (PostfixAdmin's admin and domain_admins tables); passwords are read from standard input.",
            verbs.Verb("add", "Adds an admin; the password is the first line of standard input.", async run => (object)await run.Get<Admins>().CreateAsync(
                    run.Actor, new AdminInput(run.Value(username), await run.PasswordAsync(), run.Value(superadmin), run.Value(domains) ?? [], !run.Value(inactive)),
                    run.Cancellation),
                username, superadmin, domains, inactive),
            verbs.Verb("edit", "Changes an admin's role, domains or state; what is not given stays.", run => run.Get<Admins>().UpdateAsync(
                    run.Actor, run.Value(username), new AdminInput(null, null, run.Value(setSuperadmin), run.Value(domains), run.Value(active)), run.Cancellation).Boxed(),
                username, setSuperadmin, domains, active),
            verbs.Verb("password", "Sets an admin's password from the first line of standard input.", async run => (object)await run.Get<Admins>().UpdateAsync(
                    run.Actor, run.Value(username), new AdminInput(Password: await run.PasswordAsync()), run.Cancellation),
                username),
            verbs.Show("Shows an admin.", username, (run, key) => run.Get<Admins>().GetAsync(run.Actor, key, run.Cancellation)),
            verbs.List("Lists the admins.", (run, page) => run.Get<Admins>().ListAsync(run.Actor, page, run.Cancellation)),
            verbs.Delete("Deletes an admin.", username, (run, key) => run.Get<Admins>().DeleteAsync(run.Actor, key, run.Cancellation)));
    }

    private static Command ApiKeys(Verbs verbs)
    {
        var name = Text("--name", "What the key is for.");
        var username = Text("--admin", "The admin whose rights the key has (left out: the acting superadmin).");
        var id = Name("ID", "The key's id (as listed).");

        return Group("key", "API keys for automation (Authorization: Bearer ...); a key is shown once, when made.",
            verbs.Verb("add", "Makes an API key for an admin and prints it (this once).", run => run.Get<ApiKeys>().CreateAsync(
                    run.Actor, new ApiKeyInput(run.Value(name), run.Value(username)), run.Cancellation).Boxed(),
                name, username),
            verbs.Verb("list", "Lists the API keys (never their secrets).", run => run.Get<ApiKeys>().ListAsync(run.Actor, run.Cancellation).Boxed()),
            verbs.Delete("Deletes an API key.", id, (run, key) => run.Get<ApiKeys>().DeleteAsync(run.Actor, key, run.Cancellation)));
    }

    private static Command Vacations(Verbs verbs)
    {
        var address = Name("ADDRESS", "The mailbox.");
        var subject = Text("--subject", "The reply's subject.");
        var body = Text("--body", "The reply's text; - reads it from standard input.");
        var from = new Option<DateTime?>("--from") { Description = "First day it answers (yyyy-mm-dd)." };
        var until = new Option<DateTime?>("--until") { Description = "Last day it answers (yyyy-mm-dd)." };
        var interval = Count("--interval", "Seconds before the same sender is answered again (0: once).");
        var active = Switch("--active", "Answering (set turns it on unless --active false)");

        return Group("vacation", "Vacation auto-replies (PostfixAdmin's vacation table).",
            verbs.Show("Shows a mailbox's vacation reply.", address, (run, key) => run.Get<Vacations>().GetAsync(run.Actor, key, run.Cancellation)),
            verbs.Verb("set", "Sets a mailbox's vacation reply and turns it on; what is not given stays.", async run => (object)await run.Get<Vacations>().SetAsync(
                    run.Actor, run.Value(address),
                    new VacationInput(run.Value(active) ?? true, run.Value(subject),
                        run.Value(body) == "-" ? await run.Input.ReadToEndAsync(run.Cancellation) : run.Value(body),
                        run.Value(from), run.Value(until), run.Value(interval)),
                    run.Cancellation),
                address, subject, body, from, until, interval, active),
            verbs.Delete("Turns a mailbox's vacation reply off and forgets it.", address,
                (run, key) => run.Get<Vacations>().DeleteAsync(run.Actor, key, run.Cancellation)));
    }

    private static Command Filters(Verbs verbs)
    {
        var address = Name("ADDRESS", "The mailbox.");
        var filterSet = Text("--filter-set", "The filter set as JSON, as the API's PUT /api/mailboxes/ADDRESS/filters takes it (rules, forwardTo, keepCopy, vacation); - reads it from standard input.");

        return Group("filters", "A mailbox's Sieve filters: its scripts, the active one, and a simple filter set written as the active script.",
            verbs.Show("Shows a mailbox's scripts and the text of the active one.", address,
                (run, key) => run.Get<MailboxFilters>().GetAsync(run.Actor, key, run.Cancellation)),
            verbs.Verb("set", "Writes a simple filter set as the script \"managed\" and makes it active.", async run =>
                {
                    var text = run.Value(filterSet) is "-" or null ? await run.Input.ReadToEndAsync(run.Cancellation) : run.Value(filterSet)!;
                    FilterSetInput input;
                    try
                    {
                        input = System.Text.Json.JsonSerializer.Deserialize<FilterSetInput>(text, System.Text.Json.JsonSerializerOptions.Web)
                                ?? throw AdministrationException.Invalid("json", "An empty filter set.");
                    }
                    catch (System.Text.Json.JsonException e)
                    {
                        throw AdministrationException.Invalid("json", $"Not a filter set: {e.Message}");
                    }

                    return (object)await run.Get<MailboxFilters>().SetAsync(run.Actor, run.Value(address), input, run.Cancellation);
                },
                address, filterSet));
    }

    private static Command Forwarding(Verbs verbs)
    {
        var address = Name("ADDRESS", "The mailbox.");
        var targets = Names("TARGET", "Where its mail goes.", ArgumentArity.OneOrMore);
        var keep = Flag("--keep", "Keep a copy in the mailbox too.");

        return Group("forward", "A mailbox's forwarding (its own row in PostfixAdmin's alias table).",
            verbs.Show("Shows where a mailbox's mail goes.", address, (run, key) => run.Get<Aliases>().GetAsync(run.Actor, Mailbox(key), run.Cancellation)),
            verbs.Verb("set", "Forwards a mailbox's mail (with --keep, keeping a copy).", run =>
                {
                    var mailbox = Mailbox(run.Value(address));
                    var goto_ = run.Value(keep) ? run.Value(targets).Prepend(mailbox).ToArray() : run.Value(targets);
                    return run.Get<Aliases>().UpdateAsync(run.Actor, mailbox, new AliasInput(Goto: goto_), run.Cancellation).Boxed();
                },
                address, targets, keep),
            verbs.Verb("delete", "Stops forwarding: the mailbox's mail stays in it.", run =>
                {
                    var mailbox = Mailbox(run.Value(address));
                    return run.Get<Aliases>().UpdateAsync(run.Actor, mailbox, new AliasInput(Goto: [mailbox]), run.Cancellation).Boxed();
                },
                address));

        static string Mailbox(string address) => DirectoryNames.Address(address, "address").Value;
    }

    private static Command Dkim(Verbs verbs)
    {
        var domain = Name("DOMAIN", "The domain whose mail is signed.");
        var algorithm = new Option<DkimAlgorithm?>("--algorithm") { Description = "The new key's algorithm (Rsa2048 or Ed25519; left out: Mail:Dkim:Algorithm)." };

        return Group("dkim", "DKIM signing keys and the TXT records to publish for them.",
            verbs.Verb("show", "Shows the domain's key as the TXT record to publish (made on first use).", async run =>
                    (object)DkimRecord.Of(await run.Get<DkimKeys>().GetStateAsync(await Api.SigningDomains.GetAsync(run.Get<Domains>(), run.Actor, run.Value(domain)!, run.Cancellation), run.Cancellation)),
                domain),
            verbs.Verb("rotate", "Makes the next key; it signs once its record is found in DNS (or on activate).", async run =>
                    (object)DkimRecord.Of(await run.Get<DkimKeys>().RotateAsync(await Api.SigningDomains.GetAsync(run.Get<Domains>(), run.Actor, run.Value(domain)!, run.Cancellation), run.Value(algorithm), run.Cancellation)),
                domain, algorithm),
            verbs.Verb("activate", "Signs with the pending key from now on, found in DNS or not.", async run =>
                    await run.Get<DkimKeys>().ActivateAsync(await Api.SigningDomains.GetAsync(run.Get<Domains>(), run.Actor, run.Value(domain)!, run.Cancellation), run.Cancellation) is { } state
                        ? DkimRecord.Of(state)
                        : throw AdministrationException.Conflict($"{run.Value(domain)} has no pending DKIM key: rotate first."),
                domain));
    }

    private static Command Log(Verbs verbs)
    {
        var domain = DomainFilter();
        var limit = new Option<int>("--limit") { Description = $"The last this many entries (1 to {PageRequest.MaxLimit}).", DefaultValueFactory = _ => 20 };
        var offset = Offset();
        return verbs.Verb("log", "Shows the administration log (PostfixAdmin's log table), newest first.", async run =>
                (await run.Get<AdministrationLog>().ListAsync(run.Actor, new PageRequest(run.Value(offset), run.Value(limit), run.Value(domain)), run.Cancellation)).Items,
            domain, limit, offset);
    }
}
