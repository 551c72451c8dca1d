using MailServerless.EdgeServer.Imap.Parsing;
using MailServerless.EdgeServer.Imap.Search;

namespace MailServerless.EdgeServer.Imap;

/// <summary>SORT and THREAD (RFC 5256), over the messages SEARCH criteria select.</summary>
public sealed partial class ImapSession
{
    private Task<string> SortAsync(SelectedFolder selected, ImapArguments args, bool byUid, CancellationToken cancellationToken)
    {
        var criteria = SortCriteria.Parse(args.Next("sort criteria"));
        var query = SearchQuery.Parse(CharsetThenCriteria(args));
        var found = Matching(selected, query, cancellationToken);
        found.Sort(criteria);
        connection.Write("* SORT" + string.Concat(found.Select(c => " " + Number(byUid ? c.Uid : c.Sequence))));
        return Task.FromResult("OK Sort completed.");
    }

    private Task<string> ThreadAsync(SelectedFolder selected, ImapArguments args, bool byUid, CancellationToken cancellationToken)
    {
        var algorithm = args.Atom("threading algorithm").ToUpperInvariant();
        if (algorithm is not ("ORDEREDSUBJECT" or "REFERENCES"))
        {
            throw new ImapSyntaxException($"Unknown threading algorithm {algorithm}.");
        }

        var query = SearchQuery.Parse(CharsetThenCriteria(args));
        var found = Matching(selected, query, cancellationToken);
        connection.Write(algorithm == "ORDEREDSUBJECT" ? Threading.OrderedSubject(found, byUid) : Threading.References(found, byUid));
        return Task.FromResult("OK Thread completed.");
    }

    /// <summary>SORT and THREAD name the charset without the CHARSET keyword (RFC 5256 §3); SEARCH's parser wants it.</summary>
    private static List<ImapToken> CharsetThenCriteria(ImapArguments args)
    {
        var charset = args.Next("charset");
        return [ImapToken.Atom("CHARSET"), charset, .. args.Rest()];
    }
}
