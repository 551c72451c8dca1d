using System.Text.RegularExpressions;

namespace MailServerless.Core.Queue;

/// <summary>Queue ids and blob keys become file names in the spool: only a safe alphabet is allowed.</summary>
public static partial class SpoolNames
{
    public static bool IsValid(string? name) => name is not null && SafeName().IsMatch(name);

    public static string Require(string? name, string what) =>
        IsValid(name) ? name! : throw new ArgumentException($"{what} '{name}' is not a valid queue name (letters, digits, '.', '_', '-').");

    /// <summary>A new id: sortable by time, unique across hosts (like Postfix's long queue ids).</summary>
    public static string NewId(TimeProvider clock)
    {
        ArgumentNullException.ThrowIfNull(clock);
        var now = clock.GetUtcNow();
        return $"{now:yyyyMMddHHmmssfff}{Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(6))}";
    }

    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}\z")]
    private static partial Regex SafeName();
}
