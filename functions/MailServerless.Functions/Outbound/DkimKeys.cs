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
}

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
/// DKIM keys per local domain in <c>msl_dkim</c>: made the first time a domain's mail is signed (or its
/// record asked for), replaced by <see cref="RotateAsync"/> under a new selector.
/// </summary>
public sealed class DkimKeys(DirectoryDatabase database, DkimOptions options, TimeProvider clock)
{
    private static readonly TimeSpan CacheLifetime = TimeSpan.FromMinutes(1);
    private readonly ConcurrentDictionary<string, (DkimKey Key, DateTimeOffset Loaded)> _cache = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The domain's key, made now if it has none.</summary>
    public async Task<DkimKey> GetOrCreateAsync(string domain, CancellationToken cancellationToken = default)
    {
        var now = clock.GetUtcNow();
        if (_cache.TryGetValue(domain, out var cached) && now - cached.Loaded < CacheLifetime)
        {
            return cached.Key;
        }

        await using var connection = await database.OpenAsync(cancellationToken);
        var key = await FindAsync(connection, domain, cancellationToken);
        if (key is null)
        {
            // Two workers may both get here: the first row wins, and both use it.
            var made = Generate(domain, options.Algorithm);
            await connection.ExecuteAsync(new CommandDefinition(
                $"{database.Dialect.InsertIgnore} INTO `msl_dkim` (`domain_name`, `description`, `selector`, `private_key`, `public_key`, `created`, `modified`) " +
                "VALUES (@domain, @description, @selector, @private, @public, @now, @now)",
                Parameters(made), cancellationToken: cancellationToken));
            key = await FindAsync(connection, domain, cancellationToken) ?? made;
        }

        _cache[domain] = (key, now);
        return key;
    }

    /// <summary>A new key under a new selector; the old record may be removed from DNS once mail signed with it has arrived.</summary>
    public async Task<DkimKey> RotateAsync(string domain, DkimAlgorithm? algorithm = null, CancellationToken cancellationToken = default)
    {
        var made = Generate(domain, algorithm ?? options.Algorithm);
        await using var connection = await database.OpenAsync(cancellationToken);
        var updated = await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE `msl_dkim` SET `description` = @description, `selector` = @selector, `private_key` = @private, `public_key` = @public, `modified` = @now " +
            "WHERE `domain_name` = @domain",
            Parameters(made), cancellationToken: cancellationToken));
        if (updated == 0)
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "INSERT INTO `msl_dkim` (`domain_name`, `description`, `selector`, `private_key`, `public_key`, `created`, `modified`) " +
                "VALUES (@domain, @description, @selector, @private, @public, @now, @now)",
                Parameters(made), cancellationToken: cancellationToken));
        }

        _cache[domain] = (made, clock.GetUtcNow());
        return made;
    }

    private object Parameters(DkimKey key) => new
    {
        domain = key.Domain, description = Describe(key.Algorithm), selector = key.Selector, @private = key.PrivateKeyPem,
        @public = key.PublicKey, now = clock.DirectoryNow(),
    };

    private static async Task<DkimKey?> FindAsync(System.Data.Common.DbConnection connection, string domain, CancellationToken cancellationToken)
    {
        var row = await connection.QuerySingleOrDefaultAsync<Row>(new CommandDefinition(
            "SELECT `domain_name`, `description`, `selector`, `private_key`, `public_key`, `created` FROM `msl_dkim` WHERE `domain_name` = @domain",
            new { domain }, cancellationToken: cancellationToken));
        return row is null
            ? null
            : new DkimKey(row.domain_name, row.selector, row.description == Describe(DkimAlgorithm.Ed25519) ? DkimAlgorithm.Ed25519 : DkimAlgorithm.Rsa2048,
                row.private_key, row.public_key, Convert.ToDateTime(row.created, System.Globalization.CultureInfo.InvariantCulture));
    }

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
    }
}
