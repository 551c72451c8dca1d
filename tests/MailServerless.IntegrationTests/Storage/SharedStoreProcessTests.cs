using MailServerless.Core.Storage;
using MailServerless.Testing;

namespace MailServerless.IntegrationTests.Storage;

/// <summary>Several processes on one store, and a store whose disk fills up.</summary>
public sealed class SharedStoreProcessTests : IDisposable
{
    private static readonly string Tools = Path.Combine(AppContext.BaseDirectory, "MailServerless.TestTools.dll");
    private readonly TempStore _store = new();

    public void Dispose() => _store.Dispose();

    private static Task<ProcessRunner.Result> DeliverAsync(string basePath, string prefix, int count, int bytes, bool sync = true) =>
        ProcessRunner.RunAsync("dotnet",
            [Tools, "deliver", basePath, "example.jp/user1/", prefix, count.ToString(System.Globalization.CultureInfo.InvariantCulture),
             bytes.ToString(System.Globalization.CultureInfo.InvariantCulture), sync ? "sync" : "nosync"],
            timeout: TimeSpan.FromMinutes(3));

    [Fact]
    public async Task Processes_delivering_and_assigning_uids_at_once_lose_no_file_and_share_no_uid()
    {
        var writers = Enumerable.Range(0, 4).Select(w => DeliverAsync(_store.BasePath, $"w{w}", 40, 2000));
        // The same queued messages delivered by three processes at once (a queue redelivering).
        var duplicates = Enumerable.Range(0, 3).Select(_ => DeliverAsync(_store.BasePath, "dup", 20, 2000));

        var results = await Task.WhenAll(writers.Concat(duplicates));

        Assert.All(results, r => Assert.True(r.ExitCode == 0, r.Error));
        Assert.DoesNotContain("TemporaryFailure", string.Concat(results.Select(r => r.Output)), StringComparison.Ordinal);
        var folder = await _store.Store.OpenMailbox("example.jp/user1/").OpenFolderAsync("INBOX");
        var files = _store.Files("new");
        Assert.Equal((4 * 40) + 20, files.Length);
        Assert.Equal(files.Length, folder.Messages.Count);
        Assert.Equal(folder.Messages.Count, folder.Messages.Select(m => m.Uid).Distinct().Count());
        var records = UidList.Load(folder.Path, () => 1)!.Records;
        Assert.Equal(records.Count, records.Select(r => r.Uid).Distinct().Count());
        Assert.Equal(records.Count, records.Select(r => r.BaseName).Distinct().Count());
        Assert.Empty(_store.Files("tmp"));
    }

    [Fact]
    public async Task Full_disk_is_a_temporary_failure_that_leaves_no_partial_file_and_mail_flows_once_space_returns()
    {
        // A 512 KiB tmpfs in a private mount namespace is the store; a 1 MB message cannot fit.
        var script =
            $"mount -t tmpfs -o size=512k tmpfs '{_store.BasePath}' && " +
            $"dotnet '{Tools}' deliver '{_store.BasePath}' example.jp/user1/ big 1 1000000 nosync && " +
            $"echo new=$(ls '{_store.BasePath}/example.jp/user1/new' | wc -l) tmp=$(ls '{_store.BasePath}/example.jp/user1/tmp' | wc -l) && " +
            $"dotnet '{Tools}' deliver '{_store.BasePath}' example.jp/user1/ small 1 2000 nosync && " +
            $"echo new=$(ls '{_store.BasePath}/example.jp/user1/new' | wc -l)";

        var result = await ProcessRunner.RunAsync("unshare", ["-m", "sh", "-c", script], timeout: TimeSpan.FromMinutes(2));

        Assert.True(result.ExitCode == 0, result.Output + result.Error);
        var lines = result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("big-0 TemporaryFailure", lines[0], StringComparison.Ordinal);
        Assert.Equal("new=0 tmp=0", lines[1]);
        Assert.StartsWith("small-0 Delivered", lines[2], StringComparison.Ordinal);
        Assert.Equal("new=1", lines[3]);
    }
}
