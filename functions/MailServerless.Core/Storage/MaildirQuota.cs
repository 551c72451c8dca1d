using System.Globalization;
using System.Text;

namespace MailServerless.Core.Storage;

/// <summary>A mailbox's limits: bytes and messages; 0 means no limit of that kind.</summary>
public readonly record struct QuotaLimit(long Bytes, long Messages = 0)
{
    public static QuotaLimit Unlimited { get; } = new(0, 0);

    public bool IsUnlimited => Bytes <= 0 && Messages <= 0;

    /// <summary>
    /// The Maildir++ definition line as Dovecot writes it: <c>&lt;bytes&gt;S</c>, <c>&lt;count&gt;C</c>,
    /// <c>&lt;bytes&gt;S,&lt;count&gt;C</c>, or <c>0S</c> when there is no limit.
    /// </summary>
    public string Definition => (Bytes > 0, Messages > 0) switch
    {
        (true, true) => string.Create(CultureInfo.InvariantCulture, $"{Bytes}S,{Messages}C"),
        (false, true) => string.Create(CultureInfo.InvariantCulture, $"{Messages}C"),
        (true, false) => string.Create(CultureInfo.InvariantCulture, $"{Bytes}S"),
        _ => "0S",
    };
}

/// <summary>What a mailbox holds against its limits.</summary>
public readonly record struct QuotaUsage(long Bytes, long Messages, QuotaLimit Limit)
{
    /// <summary>True when adding a message of <paramref name="size"/> bytes would pass a limit (reaching it is allowed).</summary>
    public bool WouldExceed(long size, long count = 1) =>
        (Limit.Bytes > 0 && Bytes + size > Limit.Bytes) || (Limit.Messages > 0 && Messages + count > Limit.Messages);
}

/// <summary>
/// The Maildir++ quota file <c>maildirsize</c> at the mailbox root: a definition line, then one
/// <c>"&lt;bytes&gt; &lt;count&gt;"</c> line per change. Recalculated from the folders when it is missing,
/// unreadable, defines other limits than the directory's, grows past 5120 bytes, or shows the
/// mailbox over quota and is older than 15 minutes (the Maildir++ quota rules).
/// </summary>
public sealed class MaildirQuota(string mailboxRoot, TimeProvider clock)
{
    public const string FileName = "maildirsize";
    private const int MaxFileSize = 5120;
    private static readonly TimeSpan OverQuotaRecheckAge = TimeSpan.FromMinutes(15);

    private string FilePath => Path.Combine(mailboxRoot, FileName);

    public async Task<QuotaUsage> GetUsageAsync(QuotaLimit limit, CancellationToken cancellationToken = default)
    {
        var current = await TryReadAsync(limit, cancellationToken);
        if (current is { } usage)
        {
            var overQuotaAndOld = usage.WouldExceed(0, 0) &&
                                  clock.GetUtcNow() - File.GetLastWriteTimeUtc(FilePath) > OverQuotaRecheckAge;
            if (!overQuotaAndOld)
            {
                return usage;
            }
        }

        return await RecalculateAsync(limit, cancellationToken);
    }

    /// <summary>Records a change (a delivery: +size +1; an expunge: −size −1).</summary>
    public async Task AddAsync(QuotaLimit limit, long bytes, long count, CancellationToken cancellationToken = default)
    {
        if (!File.Exists(FilePath))
        {
            // Without a limit nothing is kept; with one, the recalculation sees the change itself.
            if (!limit.IsUnlimited)
            {
                await RecalculateAsync(limit, cancellationToken);
            }

            return;
        }

        var line = string.Create(CultureInfo.InvariantCulture, $"{bytes} {count}\n");
        // One write with O_APPEND: concurrent writers do not interleave within a line.
        await using var stream = new FileStream(FilePath, FileMode.Append, FileAccess.Write, FileShare.ReadWrite);
        await stream.WriteAsync(Encoding.ASCII.GetBytes(line), cancellationToken);
    }

    /// <summary>Counts every message in every folder and rewrites the file atomically.</summary>
    public Task<QuotaUsage> RecalculateAsync(QuotaLimit limit, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        long bytes = 0, count = 0;
        foreach (var folder in MaildirLayout.FolderDirectories(mailboxRoot))
        {
            foreach (var sub in new[] { "new", "cur" })
            {
                var dir = Path.Combine(folder, sub);
                if (!Directory.Exists(dir))
                {
                    continue;
                }

                foreach (var path in Directory.EnumerateFiles(dir))
                {
                    var size = MaildirFileName.Parse(Path.GetFileName(path)).Size ?? SafeLength(path);
                    if (size is null)
                    {
                        continue; // expunged while we counted
                    }

                    bytes += size.Value;
                    count++;
                }
            }
        }

        var content = string.Create(CultureInfo.InvariantCulture, $"{limit.Definition}\n{bytes} {count}\n");
        AtomicFile.Replace(FilePath, Path.Combine(mailboxRoot, "tmp"), content);
        return Task.FromResult(new QuotaUsage(bytes, count, limit));
    }

    private async Task<QuotaUsage?> TryReadAsync(QuotaLimit limit, CancellationToken cancellationToken)
    {
        string text;
        try
        {
            var info = new FileInfo(FilePath);
            if (!info.Exists || info.Length > MaxFileSize)
            {
                return null;
            }

            text = await File.ReadAllTextAsync(FilePath, Encoding.ASCII, cancellationToken);
        }
        catch (FileNotFoundException)
        {
            return null;
        }

        var lines = text.Split('\n');
        if (lines.Length < 2 || lines[0].Trim() != limit.Definition)
        {
            return null;
        }

        long bytes = 0, count = 0;
        foreach (var line in lines.Skip(1))
        {
            if (line.Length == 0)
            {
                continue;
            }

            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length != 2 ||
                !long.TryParse(parts[0], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var b) ||
                !long.TryParse(parts[1], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var c))
            {
                return null; // corrupt: recalculate
            }

            bytes += b;
            count += c;
        }

        return bytes < 0 || count < 0 ? null : new QuotaUsage(bytes, count, limit);
    }

    private static long? SafeLength(string path)
    {
        try
        {
            return new FileInfo(path).Length;
        }
        catch (FileNotFoundException)
        {
            return null;
        }
    }
}
