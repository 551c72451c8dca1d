using MailServerless.Core.Administration;

namespace MailServerless.UnitTests.Sieve;

/// <summary>A managed filter set reads back from the script it was written as, so that the console can show it to edit.</summary>
public sealed class ManagedFiltersTests
{
    [Fact]
    public void A_managed_script_reads_back_as_the_rules_forward_and_vacation_it_was_written_from()
    {
        var written = new FilterSetInput(
            [
                new FilterRule("subject", "[list] \"quoted\" \\ back", Folder: "Lists"),
                new FilterRule("From", "boss@example.jp", ForwardTo: "me@elsewhere.example"),
                new FilterRule("x-spam-flag", "YES", Discard: true),
            ],
            ForwardTo: "copy@example.net",
            KeepCopy: false,
            Vacation: new FilterVacation("Away", "Back on Monday.\r\nRegards \"me\"", 3));

        var read = MailboxFilters.Read(MailboxFilters.Script(written));

        Assert.NotNull(read);
        Assert.Equal(written.Rules, read.Rules);
        Assert.Equal(written.ForwardTo, read.ForwardTo);
        Assert.Equal(written.KeepCopy, read.KeepCopy);
        Assert.Equal(written.Vacation, read.Vacation);
        Assert.Equal(MailboxFilters.Script(written), MailboxFilters.Script(read));
    }

    [Fact]
    public void An_empty_set_reads_back_empty_and_a_script_of_ones_own_does_not_read()
    {
        var empty = MailboxFilters.Read(MailboxFilters.Script(new FilterSetInput()));
        Assert.NotNull(empty);
        Assert.Empty(empty.Rules!);
        Assert.Null(empty.ForwardTo);
        Assert.Null(empty.Vacation);

        Assert.Null(MailboxFilters.Read("require \"fileinto\";\r\nif header :contains \"subject\" \"x\" { fileinto :create \"X\"; stop; }\r\n"));
        Assert.Null(MailboxFilters.Read(null));
    }
}
