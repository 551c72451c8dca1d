using System.Text;
using MailServerless.Core.Storage;
using MailServerless.Testing;

namespace MailServerless.IntegrationTests.Storage;

public sealed class MaildirDeliveryTests : IDisposable
{
    private readonly TempStore _store = new();

    public void Dispose() => _store.Dispose();

    [Fact]
    public async Task Delivery_lands_in_new_with_unix_line_ends_and_both_sizes_in_the_name()
    {
        var result = await _store.DeliverAsync("q1", TempStore.Message(body: "one\r\ntwo\r\n"));

        Assert.Equal(DeliveryStatus.Delivered, result.Status);
        var file = Assert.Single(_store.Files("new"));
        Assert.Equal(result.FileName, file);
        var bytes = await File.ReadAllBytesAsync(Path.Combine(_store.Root(), "new", file));
        Assert.DoesNotContain((byte)'\r', bytes);
        var name = MaildirFileName.Parse(file);
        Assert.Equal(bytes.Length, name.Size);
        Assert.Equal(bytes.Length + bytes.Count(b => b == '\n'), name.VirtualSize);
        Assert.Matches(@"^\d+\.M\d+P\d+Q\d+\.test\.host,S=\d+,W=\d+$", file);
        Assert.Empty(_store.Files("tmp"));
    }

    [Fact]
    public async Task Flagged_delivery_lands_in_cur_with_its_letters_and_keywords_once()
    {
        string[] flags = [@"\Flagged", @"\Seen", "$Important", @"\Recent", @"\Bogus", "two words", "$important"];
        var first = await _store.Delivery.DeliverAsync("example.jp/user1/", QuotaLimit.Unlimited, "q-flags", DateTimeOffset.UtcNow, TempStore.Message(), flags: flags);
        var again = await _store.Delivery.DeliverAsync("example.jp/user1/", QuotaLimit.Unlimited, "q-flags", DateTimeOffset.UtcNow, TempStore.Message(), flags: flags);

        Assert.Equal(DeliveryStatus.Delivered, first.Status);
        Assert.Equal(DeliveryStatus.AlreadyDelivered, again.Status);
        Assert.Empty(_store.Files("new"));
        var file = Assert.Single(_store.Files("cur"));
        Assert.Equal(first.FileName, file);
        var name = MaildirFileName.Parse(file);
        Assert.Equal(MessageFlags.Flagged | MessageFlags.Seen, name.Flags);
        Assert.Equal("a", name.KeywordLetters);
        Assert.Equal(["$Important"], KeywordList.Load(_store.Root()).Names("a"));
    }

    [Fact]
    public async Task Flags_that_are_no_flags_leave_the_delivery_in_new()
    {
        var result = await _store.Delivery.DeliverAsync("example.jp/user1/", QuotaLimit.Unlimited, "q-noflags", DateTimeOffset.UtcNow, TempStore.Message(), flags: [@"\Recent"]);

        Assert.Equal([result.FileName!], _store.Files("new"));
        Assert.Empty(_store.Files("cur"));
    }

    [Fact]
    public async Task Bare_cr_and_bare_lf_are_kept_and_counted()
    {
        var result = await _store.DeliverAsync("q1", new MemoryStream("Subject: x\r\n\r\na\rb\nc\r\n"u8.ToArray()));

        var bytes = await File.ReadAllBytesAsync(Path.Combine(_store.Root(), "new", result.FileName!));
        Assert.Equal("Subject: x\n\na\rb\nc\n", Encoding.ASCII.GetString(bytes));
        Assert.Equal(bytes.Length + 4, MaildirFileName.Parse(result.FileName!).VirtualSize);
    }

    [Fact]
    public async Task Layout_is_created_as_the_classic_stack_makes_it()
    {
        await _store.DeliverAsync("q1");

        foreach (var sub in new[] { "tmp", "new", "cur" })
        {
            Assert.True(Directory.Exists(Path.Combine(_store.BasePath, "example.jp", "user1", sub)), sub);
        }
    }

    [Fact]
    public async Task Same_queued_message_delivered_twice_gives_one_file()
    {
        var first = await _store.DeliverAsync("q-same");
        var second = await _store.DeliverAsync("q-same");

        Assert.Equal(DeliveryStatus.Delivered, first.Status);
        Assert.Equal(DeliveryStatus.AlreadyDelivered, second.Status);
        Assert.Equal(first.FileName, second.FileName);
        Assert.Single(_store.Files("new"));
    }

    [Fact]
    public async Task Redelivery_after_the_user_read_and_deleted_it_does_not_bring_it_back()
    {
        var first = await _store.DeliverAsync("q-gone");
        File.Delete(Path.Combine(_store.Root(), "new", first.FileName!));

        var again = await _store.DeliverAsync("q-gone");

        Assert.Equal(DeliveryStatus.AlreadyDelivered, again.Status);
        Assert.Empty(_store.Files("new"));
    }

    [Fact]
    public async Task Same_id_for_two_mailboxes_is_delivered_to_each()
    {
        await _store.DeliverAsync("q-multi", maildir: "example.jp/user1/");
        await _store.DeliverAsync("q-multi", maildir: "example.jp/user2/");

        Assert.Single(_store.Files("new", "example.jp/user1/"));
        Assert.Single(_store.Files("new", "example.jp/user2/"));
    }

    [Fact]
    public async Task Crash_after_the_marker_and_before_the_rename_is_finished_by_the_redelivery()
    {
        // What a process killed between "marker written" and "renamed into new/" leaves behind.
        var root = _store.Root();
        MaildirLayout.EnsureFolder(root, "INBOX");
        var queuedAt = DateTimeOffset.UtcNow;
        const string unique = "1700000000.M1P1Q1.crashed";
        var finalName = MaildirFileName.WithSizes(unique, 5, 7);
        await File.WriteAllTextAsync(Path.Combine(root, "tmp", unique), "a\nb\nc");
        var markerDay = Path.Combine(root, MaildirDelivery.MarkerFolder, queuedAt.UtcDateTime.ToString("yyyyMMdd", System.Globalization.CultureInfo.InvariantCulture));
        Directory.CreateDirectory(markerDay);
        await File.WriteAllTextAsync(Path.Combine(markerDay, "q-crash"), $"{unique}\n{finalName}\n");

        var result = await _store.DeliverAsync("q-crash", queuedAt: queuedAt);

        Assert.Equal(DeliveryStatus.Delivered, result.Status);
        Assert.Equal([finalName], _store.Files("new"));
        Assert.Empty(_store.Files("tmp"));
    }

    [Fact]
    public async Task Crash_before_the_marker_leaves_only_tmp_debris_and_the_redelivery_writes_once()
    {
        var root = _store.Root();
        MaildirLayout.EnsureFolder(root, "INBOX");
        await File.WriteAllTextAsync(Path.Combine(root, "tmp", "1700000000.M2P2Q2.crashed"), "partial");

        await _store.DeliverAsync("q-early");
        await _store.DeliverAsync("q-early");

        Assert.Single(_store.Files("new"));
    }

    [Fact]
    public async Task Concurrent_deliveries_of_one_queued_message_give_one_file()
    {
        var results = await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => Task.Run(() => _store.DeliverAsync("q-race"))));

        Assert.Single(_store.Files("new"));
        Assert.All(results, r => Assert.True(r.Succeeded, r.Detail));
        Assert.Single(results, r => r.Status == DeliveryStatus.Delivered);
    }

    [Fact]
    public async Task Hostile_delivery_id_never_becomes_a_path()
    {
        await _store.DeliverAsync("../../../../etc/passwd");

        var markers = Directory.GetFiles(Path.Combine(_store.Root(), MaildirDelivery.MarkerFolder), "*", SearchOption.AllDirectories);
        var marker = Path.GetFileName(Assert.Single(markers));
        Assert.Matches("^[0-9a-f]{64}$", marker);
    }

    [Theory]
    [InlineData("/etc/")]
    [InlineData("example.jp/../../outside/")]
    public async Task Maildir_outside_the_base_is_refused(string maildir)
    {
        await Assert.ThrowsAsync<ArgumentException>(() => _store.DeliverAsync("q1", maildir: maildir));
    }

    [Fact]
    public async Task Marker_days_older_than_the_retention_are_removed()
    {
        var old = DateTimeOffset.UtcNow.AddDays(-30);
        await _store.DeliverAsync("q-old", queuedAt: old);

        await _store.DeliverAsync("q-new");

        var days = Directory.GetDirectories(Path.Combine(_store.Root(), MaildirDelivery.MarkerFolder)).Select(Path.GetFileName);
        Assert.Equal([DateTimeOffset.UtcNow.UtcDateTime.ToString("yyyyMMdd", System.Globalization.CultureInfo.InvariantCulture)], days);
    }
}
