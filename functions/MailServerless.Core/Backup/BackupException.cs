namespace MailServerless.Core.Backup;

/// <summary>A backup or restore refused for a reason it states in one line (the command turns it into exit code 1).</summary>
public sealed class BackupException : Exception
{
    public BackupException(string message)
        : base(message)
    {
    }

    public BackupException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public BackupException()
    {
    }
}
