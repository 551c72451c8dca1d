namespace MailServerless.Core.Accounts.Schema;

/// <summary>The whole directory: PostfixAdmin's tables first, then ours.</summary>
public static class DirectorySchema
{
    public static IReadOnlyList<TableDefinition> Tables { get; } =
        [.. PostfixAdminSchema.Tables, .. ExtensionSchema.Tables];
}
