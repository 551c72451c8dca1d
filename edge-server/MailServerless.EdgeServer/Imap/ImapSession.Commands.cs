using MailServerless.EdgeServer.Imap.Parsing;

namespace MailServerless.EdgeServer.Imap;

/// <summary>The states a command may run in (RFC 3501 §3, §6).</summary>
[Flags]
public enum CommandStates
{
    NotAuthenticated = 1,
    Authenticated = 2,
    Selected = 4,
    LoggedIn = Authenticated | Selected,
    Any = NotAuthenticated | Authenticated | Selected,
}

/// <summary>
/// Every command the server knows, in one table: the states it runs in, whether it takes the UID prefix, whether
/// by sequence number it holds back EXPUNGE responses (RFC 3501 §7.4.1), and its handler. Dispatch, the UID
/// check of the reader and the expunge rule all read it, so a new command is one line here.
/// </summary>
public sealed partial class ImapSession
{
    private delegate Task<string> Handler(ImapSession session, ImapCommand command, ImapArguments args, CancellationToken cancellationToken);

    private delegate Task<string> SelectedHandler(ImapSession session, ImapCommand command, ImapArguments args, SelectedFolder selected, CancellationToken cancellationToken);

    private sealed record CommandSpec(CommandStates States, Handler Run, bool TakesUid = false, bool HoldsExpunges = false);

    private static CommandSpec Selected(SelectedHandler run, bool takesUid = false, bool holdsExpunges = false) =>
        new(CommandStates.Selected, (s, c, a, t) => s.RunSelectedAsync(run, c, a, t), takesUid, holdsExpunges);

    private static readonly Dictionary<string, CommandSpec> Commands = new(StringComparer.Ordinal)
    {
        ["CAPABILITY"] = new(CommandStates.Any, (s, _, a, _) => Done(s.Capability(a))),
        ["NOOP"] = new(CommandStates.Any, (_, _, a, _) => Done(Noop(a))),
        ["LOGOUT"] = new(CommandStates.Any, (s, _, a, _) => Done(s.Logout(a))),
        ["ID"] = new(CommandStates.Any, (_, _, a, _) => Done(Id(a))),

        ["STARTTLS"] = new(CommandStates.NotAuthenticated, (s, c, a, t) => s.StartTlsAsync(c, a, t)),
        ["LOGIN"] = new(CommandStates.NotAuthenticated, (s, _, a, t) => s.LoginAsync(a, t)),
        ["AUTHENTICATE"] = new(CommandStates.NotAuthenticated, (s, _, a, t) => s.AuthenticateAsync(a, t)),

        ["SELECT"] = new(CommandStates.LoggedIn, (s, _, a, t) => s.SelectAsync(a, readOnly: false, t)),
        ["EXAMINE"] = new(CommandStates.LoggedIn, (s, _, a, t) => s.SelectAsync(a, readOnly: true, t)),
        ["CREATE"] = new(CommandStates.LoggedIn, (s, _, a, _) => Done(s.Create(a))),
        ["DELETE"] = new(CommandStates.LoggedIn, (s, _, a, _) => Done(s.Delete(a))),
        ["RENAME"] = new(CommandStates.LoggedIn, (s, _, a, t) => s.RenameAsync(a, t)),
        ["SUBSCRIBE"] = new(CommandStates.LoggedIn, (s, _, a, _) => Done(s.Subscribe(a, subscribe: true))),
        ["UNSUBSCRIBE"] = new(CommandStates.LoggedIn, (s, _, a, _) => Done(s.Subscribe(a, subscribe: false))),
        ["LIST"] = new(CommandStates.LoggedIn, (s, _, a, t) => s.ListAsync(a, lsub: false, t)),
        ["LSUB"] = new(CommandStates.LoggedIn, (s, _, a, t) => s.ListAsync(a, lsub: true, t)),
        ["STATUS"] = new(CommandStates.LoggedIn, (s, _, a, t) => s.StatusAsync(a, t)),
        ["APPEND"] = new(CommandStates.LoggedIn, (s, _, a, t) => s.AppendAsync(a, t)),
        ["NAMESPACE"] = new(CommandStates.LoggedIn, (s, _, a, _) => Done(s.Namespace(a))),
        ["ENABLE"] = new(CommandStates.LoggedIn, (s, _, a, _) => Done(s.Enable(a))),
        ["GETQUOTAROOT"] = new(CommandStates.LoggedIn, (s, _, a, t) => s.GetQuotaRootAsync(a, t)),
        ["GETQUOTA"] = new(CommandStates.LoggedIn, (s, _, a, t) => s.GetQuotaAsync(a, t)),
        ["SETQUOTA"] = new(CommandStates.LoggedIn, (_, _, a, _) => Done(SetQuota(a))),
        ["IDLE"] = new(CommandStates.LoggedIn, (s, _, a, t) => s.IdleAsync(a, t)),
        ["COMPRESS"] = new(CommandStates.LoggedIn, (s, c, a, t) => s.CompressAsync(c, a, t)),

        ["CHECK"] = Selected((_, _, a, _, _) => Done(Check(a))),
        ["CLOSE"] = Selected((s, _, _, f, t) => s.CloseAsync(f, expunge: true, t)),
        ["UNSELECT"] = Selected((s, _, _, f, t) => s.CloseAsync(f, expunge: false, t)),
        ["EXPUNGE"] = Selected((_, c, a, f, t) => ExpungeAsync(f, a, c.IsUid, t), takesUid: true),
        ["SEARCH"] = Selected((s, c, a, f, t) => s.SearchAsync(c, f, a, t), takesUid: true, holdsExpunges: true),
        ["SORT"] = Selected((s, c, a, f, t) => s.SortAsync(f, a, c.IsUid, t), takesUid: true, holdsExpunges: true),
        ["THREAD"] = Selected((s, c, a, f, t) => s.ThreadAsync(f, a, c.IsUid, t), takesUid: true, holdsExpunges: true),
        ["FETCH"] = Selected((s, c, a, f, t) => s.FetchAsync(f, a, c.IsUid, t), takesUid: true, holdsExpunges: true),
        ["STORE"] = Selected((s, c, a, f, t) => s.StoreAsync(f, a, c.IsUid, t), takesUid: true, holdsExpunges: true),
        ["COPY"] = Selected((s, c, a, f, t) => s.CopyAsync(f, a, c.IsUid, move: false, t), takesUid: true),
        ["MOVE"] = Selected((s, c, a, f, t) => s.CopyAsync(f, a, c.IsUid, move: true, t), takesUid: true),
    };

    /// <summary>Whether <c>UID</c> may precede the command (RFC 3501 §6.4.8 and the extensions' UID forms).</summary>
    private static bool TakesUid(string name) => Commands.TryGetValue(name, out var spec) && spec.TakesUid;

    /// <summary>Whether untagged EXPUNGEs may follow this command's answer (not after FETCH, STORE, SEARCH… by sequence number).</summary>
    private static bool AllowsExpunge(ImapCommand command) =>
        command.IsUid || !Commands.TryGetValue(command.Name, out var spec) || !spec.HoldsExpunges;

    private Task<string> DispatchAsync(ImapCommand command, ImapArguments args, CancellationToken cancellationToken)
    {
        if (!Commands.TryGetValue(command.Name, out var spec))
        {
            _errors++;
            return Done("BAD Unknown command.");
        }

        var state = _state == ImapState.NotAuthenticated ? CommandStates.NotAuthenticated
            : _state == ImapState.Selected && _selected is not null ? CommandStates.Selected
            : CommandStates.Authenticated;
        if ((spec.States & state) == 0)
        {
            if (spec.States == CommandStates.NotAuthenticated)
            {
                return Done("BAD Already logged in.");
            }

            _errors++;
            return Done("BAD Command not allowed in this state.");
        }

        return spec.Run(this, command, args, cancellationToken);
    }

    private async Task<string> RunSelectedAsync(SelectedHandler run, ImapCommand command, ImapArguments args, CancellationToken cancellationToken)
    {
        var selected = _selected!;
        // The folder as it is now: file names another session renamed (flags) since the last command.
        await selected.Folder.SyncAsync(cancellationToken);
        return await run(this, command, args, selected, cancellationToken);
    }

    private string Capability(ImapArguments args)
    {
        args.End();
        connection.Write("* CAPABILITY " + Capabilities());
        return "OK Capability completed.";
    }

    private static string Noop(ImapArguments args)
    {
        args.End();
        return "OK NOOP completed.";
    }

    private string Logout(ImapArguments args)
    {
        args.End();
        connection.Write("* BYE Logging out.");
        _state = ImapState.Logout;
        return "OK Logout completed.";
    }

    private string Namespace(ImapArguments args)
    {
        args.End();
        connection.Write("* NAMESPACE ((\"\" \".\")) NIL NIL");
        return "OK Namespace completed.";
    }

    private static string SetQuota(ImapArguments args)
    {
        args.Rest();
        return "NO [NOPERM] Quota is set by the administrator.";
    }

    private static string Check(ImapArguments args)
    {
        args.End();
        return "OK Check completed.";
    }
}
