namespace MailServerless.EdgeServer.WebConsole;

/// <summary>The search box above a list: what was searched for, and the domain the list is narrowed to.</summary>
public sealed record SearchBox(string? Search, string? Domain = null);
