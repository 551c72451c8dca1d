using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace MailServerless.Testing;

/// <summary>
/// SSM Parameter Store's <c>GetParameter</c> as the real service speaks it (AWS JSON 1.1: <c>POST /</c> with
/// <c>X-Amz-Target: AmazonSSM.GetParameter</c>, <c>ParameterNotFound</c> as the error type), for the AWS SDK to
/// talk to, since the SQS/S3 emulator has no SSM. Parameters can be changed while it runs (a rotation).
/// </summary>
public sealed class FakeSsm : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly ConcurrentDictionary<string, string> _parameters = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<(string Name, bool Decrypted)> _requests = new();
    private readonly Task _serving;

    private FakeSsm(int port)
    {
        Url = $"http://127.0.0.1:{port}/";
        _listener.Prefixes.Add(Url);
        _listener.Start();
        _serving = Task.Run(ServeAsync);
    }

    public string Url { get; }

    /// <summary>Every GetParameter asked: the name and whether decryption was asked for.</summary>
    public IReadOnlyList<(string Name, bool Decrypted)> Requests => _requests.ToList();

    public static FakeSsm Start()
    {
        var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return new FakeSsm(port);
    }

    public void Set(string name, string value) => _parameters[name] = value;

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException)
            {
                return;
            }

            await AnswerAsync(context);
        }
    }

    private async Task AnswerAsync(HttpListenerContext context)
    {
        using var reader = new StreamReader(context.Request.InputStream, Encoding.UTF8);
        var body = JsonNode.Parse(await reader.ReadToEndAsync()) as JsonObject;
        var target = context.Request.Headers["X-Amz-Target"];
        var signed = context.Request.Headers["Authorization"]?.StartsWith("AWS4-HMAC-SHA256 ", StringComparison.Ordinal) == true;
        JsonObject answer;
        if (!signed)
        {
            context.Response.StatusCode = 400;
            answer = new JsonObject { ["__type"] = "MissingAuthenticationTokenException", ["message"] = "Missing Authentication Token" };
        }
        else if (target != "AmazonSSM.GetParameter" || body?["Name"]?.GetValue<string>() is not { } name)
        {
            context.Response.StatusCode = 400;
            answer = new JsonObject { ["__type"] = "InvalidAction", ["message"] = $"not served here: {target}" };
        }
        else
        {
            var decrypted = body["WithDecryption"]?.GetValue<bool>() == true;
            _requests.Enqueue((name, decrypted));
            if (_parameters.TryGetValue(name, out var value))
            {
                answer = new JsonObject
                {
                    ["Parameter"] = new JsonObject
                    {
                        ["Name"] = name,
                        ["Type"] = "SecureString",
                        // Without decryption SSM gives the ciphertext; stand in for it.
                        ["Value"] = decrypted ? value : Convert.ToBase64String(Encoding.UTF8.GetBytes("kms:" + value)),
                        ["Version"] = 1,
                        ["ARN"] = $"arn:aws:ssm:us-east-1:123456789012:parameter{name}",
                        ["DataType"] = "text",
                    },
                };
            }
            else
            {
                context.Response.StatusCode = 400;
                answer = new JsonObject { ["__type"] = "ParameterNotFound", ["message"] = $"Parameter {name} not found." };
            }
        }

        context.Response.ContentType = "application/x-amz-json-1.1";
        var bytes = Encoding.UTF8.GetBytes(answer.ToJsonString(new JsonSerializerOptions()));
        await context.Response.OutputStream.WriteAsync(bytes);
        context.Response.Close();
    }

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        _listener.Close();
        await _serving;
    }
}
