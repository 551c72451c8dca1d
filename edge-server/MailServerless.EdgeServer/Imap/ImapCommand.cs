using MailServerless.EdgeServer.Imap.Parsing;

namespace MailServerless.EdgeServer.Imap;

/// <summary>A command read whole: tag, name (after <c>UID</c> when prefixed), arguments, and the literals they hold.</summary>
public sealed class ImapCommand(string tag, string name, bool isUid, IReadOnlyList<ImapToken> arguments, IReadOnlyList<ImapLiteral> literals) : IDisposable
{
    public string Tag => tag;

    /// <summary>Upper case: FETCH for both FETCH and UID FETCH.</summary>
    public string Name => name;

    public bool IsUid => isUid;

    public IReadOnlyList<ImapToken> Arguments => arguments;

    public void Dispose()
    {
        foreach (var literal in literals)
        {
            literal.Dispose();
        }
    }
}
