using System.Text;
using MailServerless.Core.Accounts.Schema;
using MailServerless.Core.Accounts.Sql;

namespace MailServerless.Core.Addresses;

/// <summary>
/// The SRS rewriter with its secret: <c>Mail:Srs:Secret</c> when set, else a random one made on first use and
/// kept in the directory's <c>msl_meta</c> table (the first host to write it wins; every other host reads it).
/// </summary>
public sealed class SrsSecret(SrsOptions options, string hostName, DirectoryDatabase database, TimeProvider clock)
{
    private const string Name = "srs_secret";
    private readonly Lock _gate = new();
    private SenderRewriting? _rewriting;

    public bool Enabled => options.Enabled;

    public string Domain => string.IsNullOrWhiteSpace(options.Domain) ? hostName : options.Domain.Trim();

    /// <summary>The rewriter; null when SRS is off.</summary>
    /// <exception cref="Accounts.DirectoryUnavailableException">The directory could not be read for the secret.</exception>
    public async Task<SenderRewriting?> RewritingAsync(CancellationToken cancellationToken)
    {
        if (!options.Enabled)
        {
            return null;
        }

        if (_rewriting is { } ready)
        {
            return ready;
        }

        // Two first uses may both read the secret; both read the same row, and the first rewriter is kept.
        var secret = string.IsNullOrEmpty(options.Secret) ? await StoredSecretAsync(cancellationToken) : options.Secret;
        var made = new SenderRewriting(Encoding.UTF8.GetBytes(secret), Domain, clock);
        lock (_gate)
        {
            return _rewriting ??= made;
        }
    }

    private async Task<string> StoredSecretAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await MetaSecrets.GetOrCreateAsync(database, Name, cancellationToken);
        }
        catch (System.Data.Common.DbException e)
        {
            throw new Accounts.DirectoryUnavailableException($"the SRS secret cannot be read: {e.Message}", e);
        }
    }
}
