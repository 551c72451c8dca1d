using Amazon.Runtime;
using Amazon.SimpleSystemsManagement;
using Amazon.SimpleSystemsManagement.Model;
using MailServerless.Core.Secrets;

namespace MailServerless.Aws;

/// <summary>
/// Secrets from SSM Parameter Store (<c>GetParameter</c> with decryption), which also reaches Secrets Manager
/// through <c>/aws/reference/secretsmanager/&lt;id&gt;</c>. The client is made at the first read, so a setup
/// without any <c>ssm:</c> setting never talks to AWS.
/// </summary>
public sealed class SsmSecretStore(AwsOptions aws, SecretOptions options) : ISecretStore, IDisposable
{
    private readonly Lazy<AmazonSimpleSystemsManagementClient> _client = new(() => aws.CreateSsmClient(options.ServiceUrl));

    public async Task<string> GetParameterAsync(string name, CancellationToken cancellationToken)
    {
        try
        {
            var response = await _client.Value.GetParameterAsync(new GetParameterRequest { Name = name, WithDecryption = true }, cancellationToken);
            return response.Parameter.Value;
        }
        catch (ParameterNotFoundException e)
        {
            throw new SecretUnavailableException($"SSM has no parameter {name}", e);
        }
        catch (AmazonServiceException e)
        {
            throw new SecretUnavailableException($"SSM refused {name}: {e.ErrorCode} {e.Message}".Trim(), e);
        }
        catch (Exception e) when (e is HttpRequestException or AmazonClientException or IOException)
        {
            throw new SecretUnavailableException($"SSM could not be reached for {name}: {e.Message}", e);
        }
    }

    public void Dispose()
    {
        if (_client.IsValueCreated)
        {
            _client.Value.Dispose();
        }
    }
}
