using MailServerless.Core.Storage;

namespace MailServerless.UnitTests.Storage;

public class ModifiedUtf7Tests
{
    [Theory]
    [InlineData("日本語", "&ZeVnLIqe-")]
    [InlineData("Sent", "Sent")]
    [InlineData("R&D", "R&-D")]
    [InlineData("~peter/mail/台北/日本語", "~peter/mail/&U,BTFw-/&ZeVnLIqe-")]
    public void Encodes_and_decodes_as_rfc_3501_shows(string text, string encoded)
    {
        Assert.Equal(encoded, ModifiedUtf7.Encode(text));
        Assert.True(ModifiedUtf7.TryDecode(encoded, out var decoded));
        Assert.Equal(text, decoded);
    }

    [Theory]
    [InlineData("&ZeVnLIqe")]
    [InlineData("&AGE-")]
    [InlineData("&Z-")]
    [InlineData("caf\u00e9")]
    public void Malformed_names_are_refused(string encoded)
    {
        Assert.False(ModifiedUtf7.TryDecode(encoded, out _));
    }
}
