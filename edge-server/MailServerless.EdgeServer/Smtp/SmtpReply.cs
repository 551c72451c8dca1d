using System.Globalization;

namespace MailServerless.EdgeServer.Smtp;

/// <summary>
/// An SMTP reply (RFC 5321 §4.2): the three-digit code, and the text after it (starting with the enhanced status code
/// of RFC 3463 where there is one). Decisions are taken on the code, never on the text; the wire form is
/// <see cref="ToString"/>.
/// </summary>
public readonly record struct SmtpReply(int Code, string Text)
{
    /// <summary>2yz: the command was accepted.</summary>
    public bool IsPositive => Code is >= 200 and < 300;

    /// <summary>4yz: refused for now; the client may try again.</summary>
    public bool IsTransient => Code is >= 400 and < 500;

    public override string ToString() => Code.ToString(CultureInfo.InvariantCulture) + " " + Text;
}
