using System.Text;

namespace MailServerless.Core.Authentication;

/// <summary>The checks of one inbound message, and the Authentication-Results header (RFC 8601) that records them.</summary>
public sealed record AuthenticationReport(SpfOutcome? Spf, IReadOnlyList<DkimOutcome> Dkim, ArcOutcome Arc, DmarcOutcome Dmarc)
{
    /// <summary>
    /// The field, folded one method per line as Gmail and OpenDKIM/OpenDMARC write it:
    /// <c>dkim=pass header.d=… header.s=… header.b=…; spf=pass (…) smtp.mailfrom=…; dmarc=pass (p=… dis=…) header.from=…; arc=none</c>.
    /// </summary>
    public string Header(string authServId, string clientAddress)
    {
        var methods = new List<string>();
        if (Dkim.Count == 0)
        {
            methods.Add("dkim=none");
        }

        foreach (var dkim in Dkim)
        {
            var comment = dkim.Problem is null ? string.Empty : $" ({Comment(dkim.Problem)})";
            methods.Add($"dkim={dkim.Result.Name()}{comment} header.d={Value(dkim.Domain)} header.s={Value(dkim.Selector)}" +
                        (dkim.SignaturePrefix is { Length: > 0 } b ? $" header.b={Value(b)}" : string.Empty));
        }

        if (Spf is { } spf)
        {
            var why = spf.Result switch
            {
                AuthResult.Pass => $"{authServId}: domain of {spf.Sender} designates {clientAddress} as permitted sender",
                AuthResult.Fail => $"{authServId}: domain of {spf.Sender} does not designate {clientAddress} as permitted sender",
                AuthResult.SoftFail => $"{authServId}: domain of transitioning {spf.Sender} does not designate {clientAddress} as permitted sender",
                AuthResult.Neutral => $"{authServId}: {clientAddress} is neither permitted nor denied by domain of {spf.Sender}",
                AuthResult.None => $"{authServId}: domain of {spf.Sender} does not designate permitted sender hosts",
                _ => $"{authServId}: {spf.Problem ?? "error in processing"}",
            };
            methods.Add($"spf={spf.Result.Name()} ({Comment(why)}) smtp.{spf.Identity}={Value(spf.Identity == "helo" ? spf.Domain : spf.Sender)}");
        }

        var dmarc = Dmarc.Published is { } p
            ? $" (p={p.ToString().ToUpperInvariant()} sp={(Dmarc.SubdomainPolicy ?? p).ToString().ToUpperInvariant()} dis={(Dmarc.Result == AuthResult.Fail ? Dmarc.Disposition : DmarcPolicy.None).ToString().ToUpperInvariant()})"
            : string.Empty;
        methods.Add($"dmarc={Dmarc.Result.Name()}{dmarc}" + (Dmarc.AuthorDomain is { } from ? $" header.from={Value(from)}" : string.Empty));
        methods.Add($"arc={Arc.Result.Name()}");

        var header = new StringBuilder("Authentication-Results: ").Append(authServId);
        foreach (var method in methods)
        {
            header.Append(";\r\n\t").Append(method);
        }

        return header.Append("\r\n").ToString();
    }

    /// <summary>A value as RFC 8601 §2.2 allows it: a token, else a quoted string.</summary>
    private static string Value(string value) =>
        value.Length > 0 && value.All(c => c > ' ' && c < 127 && !"()<>,;:\\\"[]?=".Contains(c, StringComparison.Ordinal) || c == '@' || c == '.')
            ? value
            : "\"" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";

    /// <summary>Comment text with no parentheses or line breaks of its own.</summary>
    private static string Comment(string text) =>
        new(text.Select(c => c is '(' or ')' or '\\' ? ' ' : char.IsControl(c) ? ' ' : c).ToArray());
}
