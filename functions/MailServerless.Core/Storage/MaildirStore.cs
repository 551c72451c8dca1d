using Microsoft.Extensions.Logging;

namespace MailServerless.Core.Storage;

/// <summary>
/// The Maildir store under one base path (<c>Mail:Store:Path</c>; on AWS an EFS mount). Gives the
/// delivery writer and each user's mailbox; every path is built from a validated <c>maildir</c>.
/// </summary>
public sealed class MaildirStore(
    string basePath, string hostName, TimeProvider clock, ILoggerFactory loggerFactory, MailboxChanges? changes = null)
{
    public string BasePath { get; } = Path.GetFullPath(basePath);

    public MaildirDelivery Delivery { get; } =
        new(basePath, hostName, clock, loggerFactory.CreateLogger<MaildirDelivery>(), changes);

    /// <summary>Told of every delivery this process makes (<c>Mail:Notify</c>); null when nobody listens.</summary>
    public MailboxChanges? Changes => changes;

    /// <summary>Folder states this process keeps so that opening a folder again costs only what changed.</summary>
    public FolderStateCache Folders { get; } = new();

    /// <summary>The mailbox at a directory <c>maildir</c> value (e.g. <c>example.jp/user1/</c>).</summary>
    public MaildirMailbox OpenMailbox(string maildir, QuotaLimit quota = default) =>
        new(MaildirLayout.MailboxRoot(BasePath, maildir), quota, clock, hostName, Folders);
}
