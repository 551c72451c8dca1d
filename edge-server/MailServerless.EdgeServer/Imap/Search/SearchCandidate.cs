using MailServerless.Core.Storage;
using MimeKit;

namespace MailServerless.EdgeServer.Imap.Search;

/// <summary>A message as SEARCH sees it; headers and content are read only when a key needs them, once.</summary>
public sealed class SearchCandidate(
    uint sequence, MaildirMessage message, bool recent, Func<long> size, Func<DateTimeOffset> internalDate,
    Func<HeaderList> headers, Func<MimeMessage> content)
{
    private HeaderList? _headers;
    private MimeMessage? _content;

    public uint Sequence => sequence;

    public uint Uid => message.Uid;

    public MessageFlags Flags => message.Flags;

    public IReadOnlyList<string> Keywords => message.Keywords;

    public bool Recent => recent;

    public ulong ModSeq => message.ModSeq;

    public long Size => size();

    public DateTimeOffset InternalDate => internalDate();

    public HeaderList Headers => _headers ??= _content?.Headers ?? headers();

    public MimeMessage Content => _content ??= content();
}
