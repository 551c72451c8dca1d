using System.Collections.Concurrent;
using System.Security.Cryptography;
using Dapper;
using MailServerless.Core.Accounts;
using MailServerless.Core.Accounts.Sql;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Generators;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.OpenSsl;
using Org.BouncyCastle.Security;

namespace MailServerless.Functions.Outbound;

[System.Text.Json.Serialization.JsonConverter(typeof(System.Text.Json.Serialization.JsonStringEnumConverter<DkimAlgorithm>))]
public enum DkimAlgorithm
{
    /// <summary>rsa-sha256 with a 2048-bit key: what every verifier understands.</summary>
    Rsa2048,

    /// <summary>ed25519-sha256 (RFC 8463): short keys, not yet verified everywhere.</summary>
    Ed25519,
}

/// <summary>The <c>Mail:Dkim</c> settings.</summary>
public sealed class DkimOptions
{
    /// <summary>Sign outbound mail whose From: is in a local domain.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>The algorithm of keys made from now on.</summary>
    public DkimAlgorithm Algorithm { get; set; } = DkimAlgorithm.Rsa2048;

    /// <summary>How often a rotation's pending key is looked for in DNS; found, it starts signing.</summary>
    public TimeSpan PublishedCheckInterval { get; set; } = TimeSpan.FromMinutes(5);
}

/// <summary>A domain's signing key, and a rotation's next key waiting for its record to be published.</summary>
public sealed record DkimState(DkimKey Active, DkimKey? Pending);

/// <summary>A domain's signing key and the DNS record that publishes it.</summary>
public sealed record DkimKey(string Domain, string Selector, DkimAlgorithm Algorithm, string PrivateKeyPem, string PublicKey, DateTime Created)
{
    /// <summary>Where the record goes: <c>selector._domainkey.domain</c>.</summary>
    public string DnsName => $"{Selector}._domainkey.{Domain}";

    /// <summary>The TXT record's value (RFC 6376 §3.6.1).</summary>
    public string TxtRecord => $"v=DKIM1; k={(Algorithm == DkimAlgorithm.Ed25519 ? "ed25519" : "rsa")}; p={PublicKey}";

    /// <summary>The private key as BouncyCastle (and so MimeKit's signer) reads it.</summary>
    public AsymmetricKeyParameter ReadPrivateKey()
    {
        using var reader = new StringReader(PrivateKeyPem);
        return new PemReader(reader).ReadObject() switch
        {
            AsymmetricCipherKeyPair pair => pair.Private,
            AsymmetricKeyParameter key => key,
            _ => throw new InvalidOperationException($"the DKIM key of {Domain} is not a private key"),
        };
    }
}

/// <summary>
/// DKIM keys per local domain in <c>msl_dkim</c>. A domain's first key is made the first time its mail is
/// signed (or its record asked for). <see cref="RotateAsync"/> makes the next key <i>pending</i>: mail stays
/// signed with the published key until the new record is found in DNS (<see cref="PromoteIfPublishedAsync"/>)
/// or <see cref="ActivateAsync"/> switches at once, so no mail is signed with a key nobody can look up.
/// </summary>
public sealed class DkimKeys(DirectoryDatabase database, DkimOptions options, TimeProvider clock)
{
    private static readonly TimeSpan CacheLifetime = TimeSpan.FromMinutes(1);
    private readonly ConcurrentDictionary<string, (DkimState State, DateTimeOffset Loaded)> _cache = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, DateTimeOffset> _lastPublishedCheck = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The domain's signing key (made now if it has none) and its pending successor, if any.</summary>
    public async Task<DkimState> GetStateAsync(string domain, CancellationToken cancellationToken = default)
    {
        var now = clock.GetUtcNow();
        if (_cache.TryGetValue(domain, out var cached) && now - cached.Loaded < CacheLifetime)
        {
            return cached.State;
        }

        await using var connection = await database.OpenAsync(cancellationToken);
        var state = await FindAsync(connection, domain, cancellationToken);
        if (state is null)
        {
            // Two workers may both get here: the first row wins, and both use it.
            var made = Generate(domain, options.Algorithm);
            await connection.ExecuteAsync(new CommandDefinition(
                $"{database.Dialect.InsertIgnore} INTO `msl_dkim` (`domain_name`, `description`, `selector`, `private_key`, `public_key`, `created`, `modified`) " +
                "VALUES (@domain, @description, @selector, @private, @public, @now, @now)",
                Parameters(made), cancellationToken: cancellationToken));
            state = await FindAsync(connection, domain, cancellationToken) ?? new DkimState(made, null);
        }

        _cache[domain] = (state, now);
        return state;
    }

    /// <summary>Makes the next key under a new selector, pending until its record is published (or activated).</summary>
    public async Task<DkimState> RotateAsync(string domain, DkimAlgorithm? algorithm = null, CancellationToken cancellationToken = default)
    {
        await GetStateAsync(domain, cancellationToken);
        var made = Generate(domain, algorithm ?? options.Algorithm);
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE `msl_dkim` SET `pending_description` = @description, `pending_selector` = @selector, `pending_private_key` = @private, " +
            "`pending_public_key` = @public, `modified` = @now WHERE `domain_name` = @domain",
            Parameters(made), cancellationToken: cancellationToken));
        return await ReloadAsync(connection, domain, cancellationToken);
    }

    /// <summary>The pending key signs from now on (its record should be published); null when there is none.</summary>
    public async Task<DkimState?> ActivateAsync(string domain, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var promoted = await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE `msl_dkim` SET `description` = `pending_description`, `selector` = `pending_selector`, `private_key` = `pending_private_key`, " +
            "`public_key` = `pending_public_key`, `created` = @now, `modified` = @now, `pending_selector` = '', `pending_description` = '', " +
            "`pending_private_key` = NULL, `pending_public_key` = NULL WHERE `domain_name` = @domain AND `pending_selector` <> ''",
            new { domain, now = clock.DirectoryNow() }, cancellationToken: cancellationToken));
        return promoted == 0 ? null : await ReloadAsync(connection, domain, cancellationToken);
    }

    /// <summary>
    /// The key to sign the domain's mail with now: a pending key whose record can be found in DNS (looked for at
    /// most every <see cref="DkimOptions.PublishedCheckInterval"/>) becomes it first.
    /// </summary>
    public async Task<DkimKey> SigningKeyAsync(string domain, IDkimPublication publication, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(publication);
        var state = await GetStateAsync(domain, cancellationToken);
        var now = clock.GetUtcNow();
        if (state.Pending is not { } pending ||
            (_lastPublishedCheck.TryGetValue(domain, out var last) && now - last < options.PublishedCheckInterval))
        {
            return state.Active;
        }

        _lastPublishedCheck[domain] = now;
        return await publication.IsPublishedAsync(pending, cancellationToken) && await ActivateAsync(domain, cancellationToken) is { } promoted
            ? promoted.Active
            : state.Active;
    }

    private async Task<DkimState> ReloadAsync(System.Data.Common.DbConnection connection, string domain, CancellationToken cancellationToken)
    {
        var state = await FindAsync(connection, domain, cancellationToken) ?? throw new InvalidOperationException($"no DKIM key for {domain}");
        _cache[domain] = (state, clock.GetUtcNow());
        return state;
    }

    private object Parameters(DkimKey key) => new
    {
        domain = key.Domain, description = Describe(key.Algorithm), selector = key.Selector, @private = key.PrivateKeyPem,
        @public = key.PublicKey, now = clock.DirectoryNow(),
    };

    private static async Task<DkimState?> FindAsync(System.Data.Common.DbConnection connection, string domain, CancellationToken cancellationToken)
    {
        var row = await connection.QuerySingleOrDefaultAsync<Row>(new CommandDefinition(
            "SELECT `domain_name`, `description`, `selector`, `private_key`, `public_key`, `created`, `modified`, " +
            "`pending_selector`, `pending_description`, `pending_private_key`, `pending_public_key` FROM `msl_dkim` WHERE `domain_name` = @domain",
            new { domain }, cancellationToken: cancellationToken));
        if (row is null)
        {
            return null;
        }

        var active = new DkimKey(row.domain_name, row.selector, AlgorithmOf(row.description), row.private_key, row.public_key,
            Convert.ToDateTime(row.created, System.Globalization.CultureInfo.InvariantCulture));
        var pending = row.pending_selector.Length == 0 || row.pending_private_key is null || row.pending_public_key is null
            ? null
            : new DkimKey(row.domain_name, row.pending_selector, AlgorithmOf(row.pending_description), row.pending_private_key, row.pending_public_key,
                Convert.ToDateTime(row.modified, System.Globalization.CultureInfo.InvariantCulture));
        return new DkimState(active, pending);
    }

    private static DkimAlgorithm AlgorithmOf(string description) =>
        description == Describe(DkimAlgorithm.Ed25519) ? DkimAlgorithm.Ed25519 : DkimAlgorithm.Rsa2048;

    private static string Describe(DkimAlgorithm algorithm) => algorithm == DkimAlgorithm.Ed25519 ? "ed25519" : "rsa-2048";

    /// <summary>A new key pair; the selector carries the date, so a rotated key never reuses a published name.</summary>
    public DkimKey Generate(string domain, DkimAlgorithm algorithm)
    {
        var now = clock.GetUtcNow();
        var selector = $"msl{now:yyyyMMdd}{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(2))}";
        if (algorithm == DkimAlgorithm.Ed25519)
        {
            var generator = new Ed25519KeyPairGenerator();
            generator.Init(new Ed25519KeyGenerationParameters(new SecureRandom()));
            var pair = generator.GenerateKeyPair();
            using var pem = new StringWriter();
            var writer = new PemWriter(pem);
            writer.WriteObject(new Pkcs8Generator(pair.Private));
            writer.Writer.Flush();
            // RFC 8463 §4.2: p= is the raw 32-byte public key, not a SubjectPublicKeyInfo.
            var raw = ((Ed25519PublicKeyParameters)pair.Public).GetEncoded();
            return new DkimKey(domain, selector, algorithm, pem.ToString(), Convert.ToBase64String(raw), now.UtcDateTime);
        }

        using var rsa = RSA.Create(2048);
        return new DkimKey(domain, selector, algorithm, rsa.ExportRSAPrivateKeyPem(), Convert.ToBase64String(rsa.ExportSubjectPublicKeyInfo()), now.UtcDateTime);
    }

    /// <summary>The row as Dapper reads it.</summary>
    private sealed class Row
    {
        public string domain_name { get; set; } = string.Empty;

        public string description { get; set; } = string.Empty;

        public string selector { get; set; } = string.Empty;

        public string private_key { get; set; } = string.Empty;

        public string public_key { get; set; } = string.Empty;

        public object created { get; set; } = string.Empty;

        public object modified { get; set; } = string.Empty;

        public string pending_selector { get; set; } = string.Empty;

        public string pending_description { get; set; } = string.Empty;

        public string? pending_private_key { get; set; }

        public string? pending_public_key { get; set; }
    }
}
