using MailServerless.EdgeServer.Smtp;

namespace MailServerless.UnitTests.Smtp;

/// <summary>Each refusal the SMTP server gives is counted under the reason an operator would name it by.</summary>
public sealed class RejectionReasonTests
{
    [Theory]
    [InlineData("554 5.7.1 <x@remote.example>: Relay access denied", "relay")]
    [InlineData("550 5.1.1 <nobody@example.jp>: Recipient address rejected: User unknown in virtual mailbox table", "unknown_user")]
    [InlineData("550 5.1.1 <postmaster>: Recipient address rejected: no postmaster address here (Mail:Postmaster)", "unknown_user")]
    [InlineData("550 5.7.23 <a@b.example>: Sender address rejected: SPF fail - 192.0.2.1 is not allowed", "spf")]
    [InlineData("451 4.4.3 <a@b.example>: Sender address rejected: SPF temporary error (DNS look-up failed)", "spf")]
    [InlineData("550 5.7.1 Email rejected per DMARC policy for b.example", "dmarc")]
    [InlineData("554 5.7.1 Spam message rejected", "spam")]
    [InlineData("451 4.7.1 Try again later", "spam")]
    [InlineData("451 4.7.1 Error: spam filter unavailable, try again later", "spam")]
    [InlineData("552 5.3.4 Error: message file too big", "size")]
    [InlineData("552 5.2.2 <full@example.jp>: Recipient address rejected: Mailbox full", "quota")]
    [InlineData("452 4.2.2 <full@example.jp>: Mailbox full", "quota")]
    [InlineData("553 5.7.1 <user1@example.jp>: Sender address rejected: not logged in", "sender")]
    [InlineData("553 5.7.1 Error: From: header cannot be parsed", "header")]
    [InlineData("451 4.3.0 <a@example.jp>: Temporary lookup failure", "temporary")]
    [InlineData("521 5.5.2 Error: bare <CR> or <LF> received", "other")]
    public void A_refusal_counts_under_its_reason(string reply, string reason) => Assert.Equal(reason, RejectionReason.Of(reply));
}
