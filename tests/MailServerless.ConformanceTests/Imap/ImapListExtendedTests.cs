using System.Text;
using MailKit;
using MailKit.Net.Imap;
using MailServerless.Testing;
using MimeKit;

namespace MailServerless.ConformanceTests.Imap;

/// <summary>
/// LIST-EXTENDED (RFC 5258) and LIST-STATUS (RFC 5819) as MailKit uses them, and on the wire. The Dovecot
/// differential test compares the same forms with Dovecot's answers.
/// </summary>
public sealed class ImapListExtendedTests : IAsyncLifetime
{
    private MailServerInstance _server = null!;

    public async Task InitializeAsync() => _server = await MailServerInstance.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task MailKit_gets_folders_with_their_status_in_one_list()
    {
        using var client = await MailKitImap.LoggedInAsync(_server, "user1");
        Assert.True(client.Capabilities.HasFlag(ImapCapabilities.ListExtended));
        Assert.True(client.Capabilities.HasFlag(ImapCapabilities.ListStatus));
        var projects = await client.GetFolder(client.PersonalNamespaces[0]).CreateAsync("Projects", true) ?? throw new InvalidOperationException("CREATE failed");
        foreach (var (subject, flags) in new[] { ("one", MessageFlags.Seen), ("two", MessageFlags.None), ("three", MessageFlags.None) })
        {
            var message = MimeMessage.Load(new MemoryStream(Encoding.ASCII.GetBytes($"Subject: {subject}\r\n\r\nx\r\n")));
            await projects.AppendAsync(message, flags);
        }

        var folders = await client.GetFoldersAsync(client.PersonalNamespaces[0], StatusItems.Count | StatusItems.Unread | StatusItems.UidNext, subscribedOnly: false);

        var listed = Assert.Single(folders, f => f.FullName == "Projects");
        Assert.Equal(3, listed.Count);
        Assert.Equal(2, listed.Unread);
        Assert.Equal(4u, listed.UidNext?.Id);
        Assert.Contains(folders, f => f.FullName == "Sent" && f.Attributes.HasFlag(FolderAttributes.Sent));
    }

    [Fact]
    public async Task Extended_list_selects_by_subscription_reports_children_statuses_and_refuses_unknown_options()
    {
        await using var wire = await ImapWire.LoggedInAsync(_server.Imaps, "user2");
        // Maildir++ needs no folder for the parent: "Old" is a name, not a mailbox.
        Assert.StartsWith("a OK", await wire.ResultAsync("a CREATE Old.2025"), StringComparison.Ordinal);
        Assert.StartsWith("b OK", await wire.ResultAsync("b SUBSCRIBE Old.2025"), StringComparison.Ordinal);

        var recursive = await wire.CommandAsync("d LIST (SUBSCRIBED RECURSIVEMATCH) \"\" \"Old\"");
        Assert.Equal(["* LIST (\\NonExistent) \".\" Old (\"CHILDINFO\" (\"SUBSCRIBED\"))", "d OK LIST completed."], recursive);
        Assert.Equal(
            ["* LIST (\\NonExistent \\HasChildren) \".\" Old", "* LIST (\\HasNoChildren \\Subscribed) \".\" Old.2025", "e OK LIST completed."],
            await wire.CommandAsync("e LIST \"\" \"Old*\" RETURN (CHILDREN SUBSCRIBED)"));
        Assert.Equal(
            ["* LIST () \".\" Old.2025", "* STATUS Old.2025 (MESSAGES 0 UNSEEN 0)", "f OK LIST completed."],
            await wire.CommandAsync("f LIST \"\" Old.% RETURN (STATUS (MESSAGES UNSEEN))"));

        Assert.StartsWith("g BAD", await wire.ResultAsync("g LIST (RECURSIVEMATCH) \"\" \"*\""), StringComparison.Ordinal);
        Assert.StartsWith("h BAD", await wire.ResultAsync("h LIST (NOSUCH) \"\" \"*\""), StringComparison.Ordinal);
        Assert.StartsWith("i BAD", await wire.ResultAsync("i LIST \"\" \"*\" RETURN (NOSUCH)"), StringComparison.Ordinal);
        Assert.StartsWith("j BAD", await wire.ResultAsync("j LIST \"\" \"*\" RETURN (STATUS (NOSUCH))"), StringComparison.Ordinal);
    }
}
