using System.Globalization;
using System.Text;
using MimeKit;

namespace MailServerless.EdgeServer.Imap.Search;

/// <summary>
/// THREAD (RFC 5256 §3): ORDEREDSUBJECT groups by base subject; REFERENCES links messages by Message-ID, References
/// and In-Reply-To, prunes empty containers, gathers root threads of the same base subject, and sorts siblings by
/// sent date. The answer is the thread list of §4, by sequence number or UID.
/// </summary>
public static class Threading
{
    private sealed class Container
    {
        public SearchCandidate? Message { get; set; }

        public Container? Parent { get; set; }

        public List<Container> Children { get; } = [];

        public bool IsAncestorOf(Container other)
        {
            // Bounded by the number of containers: a parent chain never loops (links that would are not made).
            for (var node = other; node is not null; node = node.Parent)
            {
                if (node == this)
                {
                    return true;
                }
            }

            return false;
        }
    }

    public static string OrderedSubject(IReadOnlyList<SearchCandidate> messages, bool byUid)
    {
        ArgumentNullException.ThrowIfNull(messages);
        // Each message's base subject and date worked out once.
        var threads = messages
            .Select(m => (Message: m, Subject: BaseSubject.Of(m.Headers[HeaderId.Subject], out _), Date: SortCriteria.SentDate(m)))
            .GroupBy(m => m.Subject, StringComparer.Ordinal)
            .Select(g => g.OrderBy(m => m.Date).ThenBy(m => m.Message.Sequence).ToList())
            .OrderBy(t => t[0].Date).ThenBy(t => t[0].Message.Sequence)
            .Select(t => t.Select(m => m.Message).ToList());
        var builder = new StringBuilder("* THREAD");
        builder.Append(' ');
        foreach (var thread in threads)
        {
            builder.Append('(').Append(Id(thread[0], byUid));
            if (thread.Count == 2)
            {
                builder.Append(' ').Append(Id(thread[1], byUid));
            }
            else if (thread.Count > 2)
            {
                builder.Append(' ');
                foreach (var child in thread.Skip(1))
                {
                    builder.Append('(').Append(Id(child, byUid)).Append(')');
                }
            }

            builder.Append(')');
        }

        return builder.ToString();
    }

    public static string References(IReadOnlyList<SearchCandidate> messages, bool byUid)
    {
        ArgumentNullException.ThrowIfNull(messages);

        // (1) Containers by Message-ID, linked along References (or In-Reply-To).
        var table = new Dictionary<string, Container>(StringComparer.Ordinal);
        var all = new List<Container>();
        foreach (var message in messages.OrderBy(m => m.Sequence))
        {
            var id = MessageId(message.Headers[HeaderId.MessageId]);
            Container container;
            if (id is not null && table.TryGetValue(id, out var known) && known.Message is null)
            {
                container = known;
            }
            else
            {
                // No Message-ID, or one seen already: this message is a thread of its own making (§3 step 1A).
                container = new Container();
                all.Add(container);
                if (id is not null && !table.ContainsKey(id))
                {
                    table[id] = container;
                }
            }

            container.Message = message;
            var references = ReferenceIds(message.Headers);
            Container? previous = null;
            foreach (var reference in references)
            {
                if (!table.TryGetValue(reference, out var link))
                {
                    link = new Container();
                    all.Add(link);
                    table[reference] = link;
                }

                if (previous is not null && link.Parent is null && !link.IsAncestorOf(previous) && !previous.IsAncestorOf(link))
                {
                    Link(previous, link);
                }

                previous = link;
            }

            // (1C) The last reference is the parent, replacing any guessed before, unless that would make a loop.
            container.Parent?.Children.Remove(container);
            container.Parent = null;
            if (previous is not null && previous != container && !container.IsAncestorOf(previous))
            {
                Link(previous, container);
            }
        }

        // (2) The root set, (4) without empty containers.
        var roots = Prune(all.Where(c => c.Parent is null).ToList(), isRoot: true);

        // (5) Root threads of the same base subject gathered.
        roots = GatherBySubject(roots);

        // (6) Siblings by sent date; a container without a message dates from its first child.
        var dates = messages.ToDictionary(m => m, SortCriteria.SentDate);
        Sort(roots, dates);
        // thread-data (RFC 5256 §4): the thread lists follow one another without spaces.
        var builder = new StringBuilder("* THREAD ");
        foreach (var root in roots)
        {
            builder.Append('(');
            Write(builder, root, byUid);
            builder.Append(')');
        }

        return builder.ToString();
    }

    /// <summary>
    /// Threads are walked recursively; a reply chain deeper than this (only a mailbox made to attack the server
    /// has one) goes on as a new thread rather than deeper.
    /// </summary>
    private const int MaxDepth = 1000;

    private static void Link(Container parent, Container child)
    {
        var depth = 0;
        for (var node = parent; node is not null; node = node.Parent)
        {
            if (++depth >= MaxDepth)
            {
                return;
            }
        }

        child.Parent?.Children.Remove(child);
        child.Parent = parent;
        parent.Children.Add(child);
    }

    private static List<Container> Prune(List<Container> siblings, bool isRoot)
    {
        var result = new List<Container>();
        foreach (var container in siblings)
        {
            var children = Prune([.. container.Children], isRoot: false);
            container.Children.Clear();
            container.Children.AddRange(children);
            foreach (var child in children)
            {
                child.Parent = container;
            }

            if (container.Message is not null)
            {
                result.Add(container);
            }
            else if (children.Count == 0)
            {
                // An empty container without children goes.
            }
            else if (!isRoot || children.Count == 1)
            {
                // Its children take its place, unless that would make several roots of one.
                foreach (var child in children)
                {
                    child.Parent = container.Parent;
                }

                result.AddRange(children);
            }
            else
            {
                result.Add(container);
            }
        }

        return result;
    }

    private static List<Container> GatherBySubject(List<Container> roots)
    {
        var subjects = new Dictionary<string, Container>(StringComparer.Ordinal);
        foreach (var root in roots)
        {
            var subject = SubjectOf(root, out var reply);
            if (subject.Length == 0)
            {
                continue;
            }

            if (!subjects.TryGetValue(subject, out var old) ||
                (root.Message is null && old.Message is not null) ||
                (old.Message is not null && IsReply(old) && root.Message is not null && !reply))
            {
                subjects[subject] = root;
            }
        }

        var result = new List<Container>();
        foreach (var root in roots)
        {
            if (root.Parent is not null)
            {
                continue; // gathered under another root already
            }

            var subject = SubjectOf(root, out var reply);
            if (subject.Length == 0 || !subjects.TryGetValue(subject, out var old) || old == root)
            {
                result.Add(root);
                continue;
            }

            if (old.Message is null && root.Message is null)
            {
                foreach (var child in root.Children)
                {
                    child.Parent = old;
                    old.Children.Add(child);
                }
            }
            else if (old.Message is null || root.Message is null)
            {
                var (dummy, message) = old.Message is null ? (old, root) : (root, old);
                message.Parent = dummy;
                dummy.Children.Add(message);
                if (dummy == root)
                {
                    // The table's thread moves under this one, which takes its place.
                    result.Remove(old);
                    subjects[subject] = root;
                    result.Add(root);
                }
            }
            else if (!IsReply(old) && reply)
            {
                root.Parent = old;
                old.Children.Add(root);
            }
            else
            {
                var dummy = new Container();
                var at = result.IndexOf(old);
                foreach (var member in new[] { old, root })
                {
                    member.Parent = dummy;
                    dummy.Children.Add(member);
                }

                if (at >= 0)
                {
                    result[at] = dummy;
                }
                else
                {
                    result.Add(dummy);
                }

                subjects[subject] = dummy;
            }
        }

        return result;
    }

    private static bool IsReply(Container container)
    {
        _ = SubjectOf(container, out var reply);
        return reply;
    }

    /// <summary>The base subject of the container's message, or of its first child's when it has none.</summary>
    private static string SubjectOf(Container container, out bool reply)
    {
        var message = container.Message ?? container.Children.FirstOrDefault()?.Message;
        reply = false;
        return message is null ? string.Empty : BaseSubject.Of(message.Headers[HeaderId.Subject], out reply);
    }

    private static void Sort(List<Container> siblings, Dictionary<SearchCandidate, DateTimeOffset> dates)
    {
        foreach (var container in siblings)
        {
            Sort(container.Children, dates);
        }

        siblings.Sort((a, b) =>
        {
            var (x, y) = (First(a), First(b));
            var order = dates[x].CompareTo(dates[y]);
            return order != 0 ? order : x.Sequence.CompareTo(y.Sequence);
        });
    }

    /// <summary>The message that dates a container: its own, or its first child's (children sorted first).</summary>
    private static SearchCandidate First(Container container)
    {
        var node = container;
        while (node.Message is null)
        {
            node = node.Children[0];
        }

        return node.Message;
    }

    /// <summary>thread-members and thread-nested (RFC 5256 §4): one child inline, several each in parentheses.</summary>
    private static void Write(StringBuilder builder, Container container, bool byUid)
    {
        if (container.Message is not null)
        {
            builder.Append(Id(container.Message, byUid));
            if (container.Children.Count == 1)
            {
                builder.Append(' ');
                Write(builder, container.Children[0], byUid);
                return;
            }

            if (container.Children.Count > 1)
            {
                builder.Append(' ');
            }
        }

        foreach (var child in container.Children)
        {
            builder.Append('(');
            Write(builder, child, byUid);
            builder.Append(')');
        }
    }

    private static string Id(SearchCandidate message, bool byUid) =>
        (byUid ? message.Uid : message.Sequence).ToString(CultureInfo.InvariantCulture);

    /// <summary>The msg-id of a Message-ID field, angle brackets included; null when it has none.</summary>
    private static string? MessageId(string? value) => MessageIds(value).FirstOrDefault();

    /// <summary>References' ids, or without them In-Reply-To's first (RFC 5256 §3 step 1B).</summary>
    private static List<string> ReferenceIds(HeaderList headers)
    {
        var references = MessageIds(headers[HeaderId.References]).ToList();
        return references.Count > 0 ? references : MessageIds(headers[HeaderId.InReplyTo]).Take(1).ToList();
    }

    /// <summary>Every &lt;…@…&gt; in the value, in order.</summary>
    private static IEnumerable<string> MessageIds(string? value)
    {
        if (value is null)
        {
            yield break;
        }

        var position = 0;
        while ((position = value.IndexOf('<', position)) >= 0)
        {
            var close = value.IndexOf('>', position);
            if (close < 0)
            {
                yield break;
            }

            var id = value[position..(close + 1)];
            if (id.Contains('@', StringComparison.Ordinal) && !id[1..].Contains('<', StringComparison.Ordinal))
            {
                yield return id.Replace(" ", string.Empty, StringComparison.Ordinal);
            }

            position = close + 1;
        }
    }
}
