namespace MailServerless.Core.Accounts;

/// <summary>
/// The directory could not answer (database down, timeout). Callers treat this as a
/// temporary failure: SMTP answers 4xx, delivery retries. Never a reason to bounce.
/// </summary>
public sealed class DirectoryUnavailableException : Exception
{
    public DirectoryUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public DirectoryUnavailableException(string message)
        : base(message)
    {
    }

    public DirectoryUnavailableException()
    {
    }
}
