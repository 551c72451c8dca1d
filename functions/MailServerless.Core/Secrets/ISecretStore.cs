namespace MailServerless.Core.Secrets;

/// <summary>Where named secrets are kept: AWS Systems Manager's Parameter Store in the AWS build.</summary>
public interface ISecretStore
{
    /// <summary>The decrypted value of the parameter <paramref name="name"/>.</summary>
    /// <exception cref="SecretUnavailableException">The store refused or does not have it.</exception>
    Task<string> GetParameterAsync(string name, CancellationToken cancellationToken);
}

/// <summary>A secret could not be read; the message names the setting and the store's reason, never a value.</summary>
public sealed class SecretUnavailableException : Exception
{
    public SecretUnavailableException()
    {
    }

    public SecretUnavailableException(string message) : base(message)
    {
    }

    public SecretUnavailableException(string message, Exception innerException) : base(message, innerException)
    {
    }
}
