namespace MailServerless.Core.Secrets;

/// <summary><c>Mail:Secrets</c>: how settings written as <c>ssm:NAME</c> are read (<see cref="SecretSettings"/>).</summary>
public sealed class SecretOptions
{
    /// <summary>How long a secret read is used before it is read again, so that a rotated one is picked up.</summary>
    public TimeSpan RefreshInterval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>An SSM endpoint to use instead of the region's (a test double or a VPC endpoint's own name); empty on AWS.</summary>
    public string ServiceUrl { get; set; } = string.Empty;
}
