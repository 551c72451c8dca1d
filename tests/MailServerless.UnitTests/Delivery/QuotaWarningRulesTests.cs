using MailServerless.Core.Accounts.Sql;
using MailServerless.Core.Administration;
using MailServerless.Core.Storage;
using MailServerless.Functions;
using Microsoft.Extensions.Logging.Abstractions;

namespace MailServerless.UnitTests.Delivery;

/// <summary>Dovecot's quota_warning rules: a threshold warns when a delivery crosses it from below, the highest one only.</summary>
public sealed class QuotaWarningRulesTests
{
    private static QuotaWarnings Warnings(string thresholds = "80,95") => new(
        new MaildirStore(Path.GetTempPath(), "test", TimeProvider.System, NullLoggerFactory.Instance), new MailboxLanguages(DirectoryDatabase.Sqlite("Data Source=:memory:")),
        new QuotaWarningOptions { Warnings = thresholds }, TimeProvider.System, NullLogger<QuotaWarnings>.Instance);

    [Theory]
    [InlineData(7_000, 7_999, null)]
    [InlineData(7_999, 8_000, 80)]
    [InlineData(7_000, 8_500, 80)]
    [InlineData(8_000, 8_900, null)]
    [InlineData(9_000, 9_500, 95)]
    [InlineData(7_000, 9_600, 95)]
    [InlineData(9_600, 9_900, null)]
    [InlineData(0, 10_000, 95)]
    public void A_threshold_warns_when_crossed_from_below_and_only_the_highest(long before, long after, int? expected) =>
        Assert.Equal(expected, Warnings().Crossed(before, after, 10_000));

    [Fact]
    public void A_mailbox_without_a_quota_is_never_warned() => Assert.Null(Warnings().Crossed(0, long.MaxValue / 2, 0));

    [Fact]
    public void No_thresholds_no_warnings() => Assert.Null(Warnings(string.Empty).Crossed(0, 10_000, 10_000));

    [Theory]
    [InlineData("95, 80,90%", new[] { 95, 90, 80 })]
    [InlineData("80,80", new[] { 80 })]
    public void Thresholds_are_read_highest_first(string text, int[] expected) =>
        Assert.Equal(expected, new QuotaWarningOptions { Warnings = text }.Thresholds());

    [Theory]
    [InlineData("0")]
    [InlineData("101")]
    [InlineData("eighty")]
    public void A_threshold_that_is_no_percentage_is_named(string text) =>
        Assert.Contains($"'{text}'", Assert.Throws<ArgumentException>(() => new QuotaWarningOptions { Warnings = text }.Thresholds()).Message, StringComparison.Ordinal);

    [Theory]
    [InlineData(512, "512 bytes")]
    [InlineData(10_240, "10 KB")]
    [InlineData(1_572_864, "1.5 MB")]
    [InlineData(104_857_600, "100 MB")]
    public void Sizes_are_written_as_people_read_them(long bytes, string expected) => Assert.Equal(expected, QuotaWarningText.Size(bytes));
}
