using System.Security.Cryptography;
using System.Text;
using MailServerless.Core.Configuration;

namespace MailServerless.EdgeServer.Api;

/// <summary>
/// How the command line reaches the running server for what only the server can do (the queue tools: it owns the
/// spool), as Postfix's <c>postqueue</c> reaches its master through a socket only the mail system's group may use: a
/// random token the server writes at start to <c>&lt;DataDirectory&gt;/control-token</c> (0600), taken as a bearer
/// token from loopback only, acting as the first superadmin (logged "… (cli)"). Whoever can read the data directory
/// is the mail system already.
/// </summary>
public sealed class ControlToken
{
    public const string FileName = "control-token";
    public const string Prefix = "msl-control.";

    private readonly byte[] _token;

    public ControlToken(MailOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Value = Prefix + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        _token = Encoding.ASCII.GetBytes(Value);
        Path = System.IO.Path.Combine(options.EffectiveDataDirectory, FileName);
    }

    public string Value { get; }

    public string Path { get; }

    /// <summary>Writes the token for the command line (replacing an old server's), readable by the data directory's owner only.</summary>
    public void Publish() => Core.Storage.SecretFile.Write(Path, Value);

    /// <summary>True when <paramref name="presented"/> is this server's token (compared in constant time).</summary>
    public bool Matches(string presented)
    {
        ArgumentNullException.ThrowIfNull(presented);
        return CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(presented), _token);
    }
}
