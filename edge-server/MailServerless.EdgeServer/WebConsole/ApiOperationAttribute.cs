namespace MailServerless.EdgeServer.WebConsole;

/// <summary>
/// Names the admin API operation (<c>"GET /api/domains"</c>, as the OpenAPI document writes its path) a console
/// handler does; a test checks that every operation an admin or owner can call has a handler here.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = true)]
public sealed class ApiOperationAttribute(string operation) : Attribute
{
    public string Operation { get; } = operation;
}
