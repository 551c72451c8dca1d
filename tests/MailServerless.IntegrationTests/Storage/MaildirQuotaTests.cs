using MailServerless.Core.Storage;
using MailServerless.Testing;

namespace MailServerless.IntegrationTests.Storage;

public sealed class MaildirQuotaTests : IDisposable
{
    private readonly TempStore _store = new();

    public void Dispose() => _store.Dispose();

    private string MaildirSize => Path.Combine(_store.Root(), MaildirQuota.FileName);

    private static long StoredSize(int size)
    {
        // TempStore.MessageOfSize writes CRLF once in the header block; stored with LF, two bytes shorter.
        return size - 1;
    }

    [Fact]
    public async Task Delivery_that_reaches_the_limit_exactly_is_accepted_one_byte_more_is_refused()
    {
        var limit = new QuotaLimit(StoredSize(1000) + StoredSize(500));
        Assert.Equal(DeliveryStatus.Delivered, (await _store.DeliverAsync("a", TempStore.MessageOfSize(1000), limit)).Status);

        var over = await _store.DeliverAsync("b", TempStore.MessageOfSize(501), limit);
        var exact = await _store.DeliverAsync("c", TempStore.MessageOfSize(500), limit);

        Assert.Equal(DeliveryStatus.OverQuota, over.Status);
        Assert.Contains("would exceed the quota", over.Detail, StringComparison.Ordinal);
        Assert.Equal(DeliveryStatus.Delivered, exact.Status);
        Assert.Equal(2, _store.Files("new").Length);
        Assert.Empty(_store.Files("tmp"));
    }

    [Fact]
    public async Task Just_under_the_limit_is_accepted()
    {
        var limit = new QuotaLimit(StoredSize(1000) + 1);

        Assert.Equal(DeliveryStatus.Delivered, (await _store.DeliverAsync("a", TempStore.MessageOfSize(1000), limit)).Status);
    }

    [Fact]
    public async Task Message_count_limit_refuses_the_message_past_it()
    {
        var limit = new QuotaLimit(0, 2);

        var results = new List<DeliveryStatus>();
        foreach (var id in new[] { "a", "b", "c" })
        {
            results.Add((await _store.DeliverAsync(id, limit: limit)).Status);
        }

        Assert.Equal([DeliveryStatus.Delivered, DeliveryStatus.Delivered, DeliveryStatus.OverQuota], results);
        Assert.StartsWith("2C\n", await File.ReadAllTextAsync(MaildirSize), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Quota_zero_is_unlimited()
    {
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(DeliveryStatus.Delivered, (await _store.DeliverAsync($"m{i}", TempStore.MessageOfSize(100_000))).Status);
        }
    }

    [Fact]
    public async Task Maildirsize_has_the_definition_then_a_line_per_delivery()
    {
        var limit = new QuotaLimit(1_024_000);
        var first = await _store.DeliverAsync("a", limit: limit);
        var second = await _store.DeliverAsync("b", limit: limit);

        var lines = (await File.ReadAllTextAsync(MaildirSize)).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("1024000S", lines[0]);
        Assert.Equal($"{MaildirFileName.Parse(second.FileName!).Size} 1", lines[^1]);
        var usage = await _store.Store.OpenMailbox("example.jp/user1/", limit).GetQuotaUsageAsync();
        Assert.Equal(MaildirFileName.Parse(first.FileName!).Size + MaildirFileName.Parse(second.FileName!).Size, usage.Bytes);
        Assert.Equal(2, usage.Messages);
    }

    [Theory]
    [InlineData("garbage\nnot numbers\n")]
    [InlineData("1024000S\n12 x\n")]
    [InlineData("999S\n0 0\n")]
    [InlineData("1024000S\n-99999 -5\n")]
    public async Task Corrupt_or_stale_maildirsize_is_recalculated_from_the_folders(string content)
    {
        var limit = new QuotaLimit(1_024_000);
        var delivered = await _store.DeliverAsync("a", limit: limit);
        await File.WriteAllTextAsync(MaildirSize, content);

        var usage = await _store.Store.OpenMailbox("example.jp/user1/", limit).GetQuotaUsageAsync();

        Assert.Equal(MaildirFileName.Parse(delivered.FileName!).Size, usage.Bytes);
        Assert.Equal(1, usage.Messages);
        Assert.StartsWith("1024000S\n", await File.ReadAllTextAsync(MaildirSize), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Maildirsize_over_5120_bytes_is_recalculated_and_shrinks()
    {
        var limit = new QuotaLimit(1_024_000);
        await _store.DeliverAsync("a", limit: limit);
        await File.AppendAllTextAsync(MaildirSize, string.Concat(Enumerable.Repeat("0 0\n", 2000)));

        await _store.Store.OpenMailbox("example.jp/user1/", limit).GetQuotaUsageAsync();

        Assert.True(new FileInfo(MaildirSize).Length < 100);
    }

    [Fact]
    public async Task Recalculation_counts_every_folder_and_uses_stat_for_names_without_sizes()
    {
        var mailbox = _store.Store.OpenMailbox("example.jp/user1/");
        mailbox.EnsureCreated();
        await File.WriteAllTextAsync(Path.Combine(_store.Root(), ".Sent", "cur", "1700000000.12345_1.oldhost:2,S"), "12345");
        await File.WriteAllTextAsync(Path.Combine(_store.Root(), "cur", "1700000000.M1P1.h,S=100:2,S"), "short");

        var usage = await new MaildirQuota(_store.Root(), TimeProvider.System).RecalculateAsync(QuotaLimit.Unlimited);

        Assert.Equal(105, usage.Bytes);
        Assert.Equal(2, usage.Messages);
    }
}
