using System.Collections.Concurrent;

namespace MailServerless.EdgeServer.Imap.Fetch;

/// <summary>
/// ENVELOPE strings already built, shared by all sessions of this edge server (a phone and a desktop
/// syncing the same folder, a client reconnecting). A Maildir file's content never changes under its
/// base name, so an entry needs no invalidation; at most <see cref="ImapOptions.EnvelopeCacheEntries"/>
/// are kept (what Dovecot keeps in <c>dovecot.index.cache</c> on disk, held here in memory).
/// </summary>
public sealed class EnvelopeCache(ImapOptions options)
{
    private readonly ConcurrentDictionary<(string Folder, string BaseName), string> _entries = new();

    public string GetOrAdd(string folder, string baseName, Func<string> build)
    {
        ArgumentNullException.ThrowIfNull(build);
        if (_entries.TryGetValue((folder, baseName), out var envelope))
        {
            return envelope;
        }

        envelope = build();
        if (_entries.Count < options.EnvelopeCacheEntries)
        {
            _entries.TryAdd((folder, baseName), envelope);
        }

        return envelope;
    }
}
