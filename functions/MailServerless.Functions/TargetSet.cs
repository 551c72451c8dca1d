using System.Security.Cryptography;
using System.Text;

namespace MailServerless.Functions;

/// <summary>
/// A short digest of a set of addresses, for the ids of copies a function queues (forwards, vacation
/// requests, local hand-backs, bounces): a retry that queues the same set again is dropped by the queue,
/// while a retry that finds other targets (the directory changed meanwhile) queues those too.
/// </summary>
public static class TargetSet
{
    public static string Digest(IEnumerable<string> addresses) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(
            string.Join('\n', addresses.Select(a => a.ToLowerInvariant()).Distinct().Order(StringComparer.Ordinal)))))[..8];
}
