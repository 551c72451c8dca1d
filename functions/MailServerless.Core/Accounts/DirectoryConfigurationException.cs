namespace MailServerless.Core.Accounts;

/// <summary>The directory cannot be used as configured; the message names the setting.</summary>
public sealed class DirectoryConfigurationException : Exception
{
    public DirectoryConfigurationException(string message)
        : base(message)
    {
    }

    public DirectoryConfigurationException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public DirectoryConfigurationException()
    {
    }
}
