namespace MailServerless.Core.Storage;

/// <summary>A message in a folder, as the last sync saw it.</summary>
/// <param name="Uid">Its IMAP UID from <c>dovecot-uidlist</c>.</param>
/// <param name="FileName">Its current file name (base plus <c>:2,flags</c> in cur/).</param>
/// <param name="InNew">True while it is still in <c>new/</c> (not yet seen by any client: \Recent).</param>
public sealed record MaildirMessage(uint Uid, string FileName, bool InNew, MessageFlags Flags, IReadOnlyList<string> Keywords)
{
    public MaildirFileName Name => MaildirFileName.Parse(FileName);

    public string BaseName => Name.BaseName;

    /// <summary>The mod-sequence of its last flag change (RFC 7162), from the folder's index; 0 until the index saw it.</summary>
    public ulong ModSeq { get; init; }
}

/// <summary>What a sync found changed since the previous one.</summary>
public sealed record FolderChanges(IReadOnlyList<uint> Expunged, IReadOnlyList<MaildirMessage> Added, IReadOnlyList<MaildirMessage> FlagsChanged)
{
    public static FolderChanges None { get; } = new([], [], []);

    public bool Any => Expunged.Count > 0 || Added.Count > 0 || FlagsChanged.Count > 0;
}
