using System.Collections.Concurrent;
using System.Text.Json;

namespace MailServerless.Core.Secrets;

/// <summary>
/// Settings that name a secret instead of holding it, so that no password sits in an environment variable or a
/// file: <c>ssm:NAME</c> is the value of the SSM parameter NAME (a SecureString, decrypted), and <c>ssm:NAME#key</c>
/// the string <c>key</c> of the JSON object it holds. Secrets Manager secrets are reached through SSM's
/// <c>/aws/reference/secretsmanager/&lt;secret id&gt;</c> names. Each value is kept for
/// <see cref="SecretOptions.RefreshInterval"/> and then read again, so a rotation is picked up without a restart;
/// while the store cannot be reached the last value read goes on being used. Any other value is used as written.
/// </summary>
public sealed class SecretSettings(ISecretStore? store, SecretOptions options, TimeProvider clock)
{
    public const string Prefix = "ssm:";

    private readonly ConcurrentDictionary<string, (string Value, DateTimeOffset Read)> _cache = new(StringComparer.Ordinal);

    /// <summary>Settings without any reference: values are used as written.</summary>
    public static SecretSettings None { get; } = new(null, new SecretOptions(), TimeProvider.System);

    public TimeSpan RefreshInterval => options.RefreshInterval;

    public static bool IsReference(string? value) => value is not null && value.StartsWith(Prefix, StringComparison.Ordinal);

    /// <summary>The value <paramref name="value"/> stands for; <paramref name="setting"/> names it in errors.</summary>
    /// <exception cref="SecretUnavailableException">The reference cannot be read and nothing was read before.</exception>
    public async ValueTask<string> ResolveAsync(string? value, string setting, CancellationToken cancellationToken = default)
    {
        if (!IsReference(value))
        {
            return value ?? string.Empty;
        }

        var now = clock.GetUtcNow();
        if (_cache.TryGetValue(value!, out var cached) && now - cached.Read < options.RefreshInterval)
        {
            return cached.Value;
        }

        var (name, key) = Parse(value!, setting);
        if (store is null)
        {
            throw new SecretUnavailableException($"{setting} names a secret ({Prefix}{name}), but this build has no secret store");
        }

        string raw;
        try
        {
            raw = await store.GetParameterAsync(name, cancellationToken);
        }
        catch (SecretUnavailableException) when (cached.Value is not null)
        {
            // Keep serving with what we had: a store that is briefly away must not stop the mail.
            return cached.Value;
        }
        catch (SecretUnavailableException e)
        {
            throw new SecretUnavailableException($"{setting}: {e.Message}", e);
        }

        var resolved = key is null ? raw : JsonKey(raw, key, setting);
        _cache[value!] = (resolved, now);
        return resolved;
    }

    /// <summary>Makes the next <see cref="ResolveAsync"/> read again (after the far end refused what we had).</summary>
    public void Forget(string? value)
    {
        if (IsReference(value))
        {
            _cache.TryRemove(value!, out _);
        }
    }

    private static (string Name, string? Key) Parse(string value, string setting)
    {
        var body = value[Prefix.Length..];
        var hash = body.LastIndexOf('#');
        var (name, key) = hash < 0 ? (body, null) : (body[..hash], body[(hash + 1)..]);
        if (name.Length == 0 || name.Any(char.IsWhiteSpace) || key is { Length: 0 })
        {
            throw new SecretUnavailableException($"{setting}: '{value}' is not {Prefix}NAME or {Prefix}NAME#key");
        }

        return (name, key);
    }

    private static string JsonKey(string json, string key, string setting)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            if (document.RootElement.ValueKind == JsonValueKind.Object &&
                document.RootElement.TryGetProperty(key, out var property) && property.ValueKind == JsonValueKind.String)
            {
                return property.GetString()!;
            }
        }
        catch (JsonException)
        {
            // Said below, without the secret's text.
        }

        throw new SecretUnavailableException($"{setting}: the secret is not a JSON object with a string \"{key}\"");
    }
}
