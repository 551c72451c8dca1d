namespace MailServerless.Core.Addresses;

/// <summary>The <c>Mail:Srs</c> settings: the Sender Rewriting Scheme for forwards (as postsrsd).</summary>
public sealed class SrsOptions
{
    /// <summary>Rewrite the envelope sender of mail forwarded to outside addresses, and take bounces to the rewritten addresses.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>The domain of the rewritten addresses (postsrsd's <c>SRS_DOMAIN</c>); default <c>Mail:HostName</c>. Mail for it must reach this server.</summary>
    public string? Domain { get; set; }

    /// <summary>
    /// The key of the addresses' signatures (postsrsd's secret file's first line). Empty: one made once and kept in
    /// the directory database, so that every host of a scaled-out install shares it.
    /// </summary>
    public string? Secret { get; set; }
}
