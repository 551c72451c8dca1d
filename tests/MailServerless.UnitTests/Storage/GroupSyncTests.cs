using MailServerless.Core.Storage;

namespace MailServerless.UnitTests.Storage;

/// <summary>One group commit per file system: folders on one mount share each flush; a symbolic link counts where it leads.</summary>
public sealed class GroupSyncTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("msl-groupsync-").FullName;

    [Fact]
    public void Folders_on_one_file_system_share_one_group_commit()
    {
        var spool = Directory.CreateDirectory(Path.Combine(_root, "spool", "inbound")).FullName;
        var maildirs = Directory.CreateDirectory(Path.Combine(_root, "virtual")).FullName;
        Assert.Same(GroupSync.For(spool), GroupSync.For(maildirs));
    }

    [Fact]
    public void A_folder_belongs_to_the_longest_mount_point_that_holds_it()
    {
        Assert.Equal("/proc", GroupSync.MountPointOf("/proc/self"));
        Assert.Equal("/", GroupSync.MountPointOf("/"));
    }

    [Fact]
    public void A_symbolic_link_is_taken_where_it_leads()
    {
        var link = Path.Combine(_root, "to-proc");
        Directory.CreateSymbolicLink(link, "/proc/self");
        Assert.Equal("/proc", GroupSync.MountPointOf(link));
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);
}
