namespace MailServerless.Core.Authentication;

/// <summary>The result values of RFC 8601 §2.7 (SPF's as RFC 7208 §2.6 names them), written lower case in the header.</summary>
public enum AuthResult
{
    None,
    Pass,
    Fail,
    SoftFail,
    Neutral,
    TempError,
    PermError,
    Policy,
}

/// <summary>An SPF check of one identity (RFC 7208 §2.3, §2.4): <c>mailfrom</c>, or <c>helo</c> for the null sender.</summary>
/// <param name="Explanation">For a fail: the domain's own explanation (<c>exp=</c>), or ours.</param>
public sealed record SpfOutcome(AuthResult Result, string Identity, string Domain, string Sender, string? Explanation = null, string? Problem = null);

/// <summary>One DKIM signature's check (RFC 6376 §6): the signing domain <c>d=</c>, selector <c>s=</c> and the first bytes of <c>b=</c>.</summary>
public sealed record DkimOutcome(AuthResult Result, string Domain, string Selector, string? SignaturePrefix, string? Problem = null);

/// <summary>
/// The DMARC check (RFC 7489 §6.6): the author domain, the policy published for it (null when none) and what is
/// done with the message (<see cref="Disposition"/>, after <c>pct</c>).
/// </summary>
public sealed record DmarcOutcome(AuthResult Result, string? AuthorDomain, DmarcPolicy? Published, DmarcPolicy? SubdomainPolicy, DmarcPolicy Disposition);

/// <summary>An ARC chain's validation (RFC 8617 §5.2): none, pass or fail.</summary>
public sealed record ArcOutcome(AuthResult Result, int Instances);

internal static class AuthResultNames
{
    public static string Name(this AuthResult result) => result.ToString().ToLowerInvariant();
}
