using MailServerless.Core.Storage;

namespace MailServerless.UnitTests.Storage;

public class QuotaLimitTests
{
    [Theory]
    [InlineData(1024000, 0, "1024000S")]
    [InlineData(0, 10, "10C")]
    [InlineData(1073741824, 100000, "1073741824S,100000C")]
    [InlineData(0, 0, "0S")]
    public void Definition_line_is_written_as_dovecot_writes_it(long bytes, long messages, string definition)
    {
        Assert.Equal(definition, new QuotaLimit(bytes, messages).Definition);
    }

    [Theory]
    [InlineData(900, 100, false)]
    [InlineData(900, 99, false)]
    [InlineData(900, 101, true)]
    public void Reaching_the_limit_is_allowed_passing_it_is_not(long used, long size, bool exceeds)
    {
        Assert.Equal(exceeds, new QuotaUsage(used, 1, new QuotaLimit(1000)).WouldExceed(size));
    }

    [Fact]
    public void Message_count_limit_counts_the_new_message()
    {
        var usage = new QuotaUsage(10, 2, new QuotaLimit(0, 3));

        Assert.False(usage.WouldExceed(1));
        Assert.True((usage with { Messages = 3 }).WouldExceed(1));
    }
}
