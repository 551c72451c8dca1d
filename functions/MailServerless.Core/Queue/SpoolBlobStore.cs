using MailServerless.Core.Storage;

namespace MailServerless.Core.Queue;

/// <summary>Message bodies as files in the spool's <c>bodies/</c> folder, each fsync'd before it counts.</summary>
public sealed class SpoolBlobStore : IBlobStore
{
    private readonly string _folder;
    private readonly GroupSync _sync;

    public SpoolBlobStore(string folder)
    {
        _folder = Path.GetFullPath(folder);
        Directory.CreateDirectory(_folder);
        _sync = GroupSync.For(_folder);
    }

    public Task<long> PutAsync(string key, Stream content, CancellationToken cancellationToken = default) =>
        StoreAsync(key, content, durable: true, cancellationToken);

    /// <summary>
    /// The spool's envelope is written on the same file system and its group commit (syncfs) makes this
    /// body durable too: one flush per accepted message instead of two.
    /// </summary>
    public Task<long> PutBeforeEnqueueAsync(string key, Stream content, CancellationToken cancellationToken = default) =>
        StoreAsync(key, content, durable: false, cancellationToken);

    private async Task<long> StoreAsync(string key, Stream content, bool durable, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(content);
        var path = PathOf(key);
        var temp = Path.Combine(_folder, ".tmp-" + Guid.NewGuid().ToString("N"));
        try
        {
            long size;
            await using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, useAsync: true))
            {
                await content.CopyToAsync(file, 64 * 1024, cancellationToken);
                size = file.Length;
            }

            File.Move(temp, path, overwrite: true);
            if (durable)
            {
                // One syncfs for everyone storing at this moment: the content and the rename are durable after it.
                await _sync.SyncAsync();
            }

            return size;
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
    }

    public Task<Stream> OpenReadAsync(string key, CancellationToken cancellationToken = default)
    {
        try
        {
            Stream stream = new FileStream(PathOf(key), FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 64 * 1024, useAsync: true);
            return Task.FromResult(stream);
        }
        catch (FileNotFoundException e)
        {
            throw new BlobNotFoundException($"no body '{key}' in the spool", e);
        }
    }

    public Task CopyAsync(string sourceKey, string targetKey, CancellationToken cancellationToken = default)
    {
        var source = PathOf(sourceKey);
        var target = PathOf(targetKey);
        if (!File.Exists(source))
        {
            throw new BlobNotFoundException($"no body '{sourceKey}' in the spool");
        }

        if (!File.Exists(target))
        {
            try
            {
                PosixFileSystem.Link(source, target);
            }
            catch (IOException) when (!File.Exists(target))
            {
                File.Copy(source, target);
            }

            return _sync.SyncAsync();
        }

        return Task.CompletedTask;
    }

    public Task DeleteAsync(string key, CancellationToken cancellationToken = default)
    {
        File.Delete(PathOf(key));
        return Task.CompletedTask;
    }

    /// <summary>
    /// Removes bodies no envelope refers to (left by a crash between storing a body and queueing its
    /// envelope, or between completing a message and removing its body) and older than <paramref name="minimumAge"/>.
    /// </summary>
    public int RemoveOrphans(IEnumerable<IReadOnlySet<string>> referenced, TimeSpan minimumAge)
    {
        ArgumentNullException.ThrowIfNull(referenced);
        var keep = referenced.SelectMany(k => k).ToHashSet(StringComparer.Ordinal);
        var cutoff = DateTime.UtcNow - minimumAge;
        var removed = 0;
        foreach (var path in Directory.EnumerateFiles(_folder))
        {
            var name = Path.GetFileName(path);
            if (!keep.Contains(name) && File.GetLastWriteTimeUtc(path) < cutoff)
            {
                File.Delete(path);
                removed++;
            }
        }

        return removed;
    }

    private string PathOf(string key) => Path.Combine(_folder, SpoolNames.Require(key, "body key"));
}
