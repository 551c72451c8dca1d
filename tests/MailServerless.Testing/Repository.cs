namespace MailServerless.Testing;

/// <summary>The source tree the tests were built from (for the README, the docs and <c>dotnet run --project</c>).</summary>
public static class Repository
{
    public static string Root { get; } = Find();

    private static string Find()
    {
        var folder = new DirectoryInfo(AppContext.BaseDirectory);
        while (folder is not null && !File.Exists(Path.Combine(folder.FullName, "MailServerless.sln")))
        {
            folder = folder.Parent;
        }

        return folder?.FullName ?? throw new InvalidOperationException("MailServerless.sln not found above the test binaries");
    }
}
