namespace MailServerless.EdgeServer.Acme;

/// <summary>
/// An ACME operation failed: the message says which one and for which identifier, and <see cref="Problem"/> is
/// the server's problem document (RFC 7807, RFC 8555 §6.7) when it sent one.
/// </summary>
public sealed class AcmeException : Exception
{
    public AcmeException()
    {
    }

    public AcmeException(string message)
        : base(message)
    {
    }

    public AcmeException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public AcmeException(string message, AcmeProblem? problem)
        : base(problem is null ? message : $"{message}: {problem}")
    {
        Problem = problem;
    }

    public AcmeProblem? Problem { get; }
}
