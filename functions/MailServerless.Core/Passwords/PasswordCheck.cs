namespace MailServerless.Core.Passwords;

/// <summary>
/// The outcome of checking a password. A failure carries the reason for the log;
/// it is never shown to the client, which only learns "authentication failed".
/// </summary>
public readonly record struct PasswordCheck(bool Succeeded, string? FailureReason)
{
    public static PasswordCheck Success { get; } = new(true, null);

    public static PasswordCheck Mismatch { get; } = new(false, "password mismatch");

    public static PasswordCheck Fail(string reason) => new(false, reason);
}
