using Amazon.Runtime;
using Amazon.S3;
using Amazon.SQS;

namespace MailServerless.Aws;

/// <summary>The <c>Mail:Aws</c> settings and the clients made from them.</summary>
public sealed class AwsOptions
{
    /// <summary>An emulator's endpoint (e.g. <c>http://127.0.0.1:4566</c>); empty on AWS, where the region decides.</summary>
    public string ServiceUrl { get; set; } = string.Empty;

    /// <summary>Empty: the usual AWS settings (<c>AWS_REGION</c>, the instance's or function's region).</summary>
    public string Region { get; set; } = string.Empty;

    public AmazonSQSClient CreateSqsClient()
    {
        var config = new AmazonSQSConfig();
        Configure(config);
        return Credentials() is { } credentials ? new AmazonSQSClient(credentials, config) : new AmazonSQSClient(config);
    }

    public AmazonS3Client CreateS3Client()
    {
        var config = new AmazonS3Config { ForcePathStyle = !string.IsNullOrEmpty(ServiceUrl) };
        Configure(config);
        return Credentials() is { } credentials ? new AmazonS3Client(credentials, config) : new AmazonS3Client(config);
    }

    /// <summary>SSM, at <paramref name="serviceUrl"/> when given (Mail:Secrets:ServiceUrl), else where the others go.</summary>
    public Amazon.SimpleSystemsManagement.AmazonSimpleSystemsManagementClient CreateSsmClient(string serviceUrl)
    {
        var config = new Amazon.SimpleSystemsManagement.AmazonSimpleSystemsManagementConfig();
        var options = string.IsNullOrEmpty(serviceUrl) ? this : new AwsOptions { ServiceUrl = serviceUrl, Region = Region };
        options.Configure(config);
        return options.Credentials() is { } credentials
            ? new Amazon.SimpleSystemsManagement.AmazonSimpleSystemsManagementClient(credentials, config)
            : new Amazon.SimpleSystemsManagement.AmazonSimpleSystemsManagementClient(config);
    }

    private void Configure(ClientConfig config)
    {
        if (!string.IsNullOrEmpty(ServiceUrl))
        {
            config.ServiceURL = ServiceUrl;
            config.AuthenticationRegion = string.IsNullOrEmpty(Region) ? "us-east-1" : Region;
        }
        else if (!string.IsNullOrEmpty(Region))
        {
            config.RegionEndpoint = Amazon.RegionEndpoint.GetBySystemName(Region);
        }
    }

    /// <summary>An emulator takes any key; without one set in the environment, a placeholder is used.</summary>
    private AWSCredentials? Credentials() =>
        !string.IsNullOrEmpty(ServiceUrl) && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("AWS_ACCESS_KEY_ID"))
            ? new BasicAWSCredentials("emulator", "emulator")
            : null;
}
