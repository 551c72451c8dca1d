using MailServerless.EdgeServer.Imap.Parsing;

namespace MailServerless.EdgeServer.Imap;

/// <summary>
/// ENABLE (RFC 5161) and the switches it turns on besides CONDSTORE and QRESYNC: UTF8=ACCEPT (RFC 6855) and IMAP4rev2
/// (RFC 9051 §6.3.1), which a session that never asks for them does not see.
/// </summary>
public sealed partial class ImapSession
{
    /// <summary>UTF8=ACCEPT was enabled: UTF8 APPEND data is allowed, SEARCH CHARSET is not (RFC 6855 §3, §4).</summary>
    private bool _utf8Accept;

    /// <summary>IMAP4rev2 was enabled: no \Recent, SEARCH answers as ESEARCH, SELECT names the mailbox (RFC 9051).</summary>
    private bool _rev2;

    /// <summary>Mailbox names and quoted strings are UTF-8, by UTF8=ACCEPT or IMAP4rev2 (RFC 6855 §3, RFC 9051 §5.1).</summary>
    private bool Utf8Names => _utf8Accept || _rev2;

    private string Enable(ImapArguments args)
    {
        var names = args.Rest();
        if (names.Count == 0 || names.Any(t => t.Kind != ImapTokenKind.Atom))
        {
            throw new ImapSyntaxException("ENABLE needs capability names.");
        }

        // RFC 5161 §3.1: ENABLED lists what this command turned on; names not known here are ignored.
        var enabled = new List<string>();
        var (condStore, qresync, utf8Accept, rev2) = (_condStore, _qresync, _utf8Accept, _rev2);
        foreach (var name in names.Select(t => t.Text.ToUpperInvariant()).Distinct())
        {
            switch (name)
            {
                case "CONDSTORE" when !condStore:
                    EnableCondStore();
                    enabled.Add(name);
                    break;
                case "QRESYNC" when !qresync:
                    _qresync = true; // and CONDSTORE with it (RFC 7162 §3.2.3)
                    EnableCondStore();
                    enabled.Add(name);
                    break;
                case "UTF8=ACCEPT" when !utf8Accept:
                    _utf8Accept = true;
                    enabled.Add(name);
                    break;
                case "IMAP4REV2" when !rev2:
                    _rev2 = true;
                    if (_selected is { } selected)
                    {
                        selected.HidesRecent = true; // a client that enables it late (RFC 5161 says it must not) sees no \Recent from now on
                    }

                    enabled.Add("IMAP4rev2");
                    break;
            }
        }

        connection.Write(enabled.Count == 0 ? "* ENABLED" : "* ENABLED " + string.Join(' ', enabled));
        return "OK Enabled.";
    }
}
