namespace MailServerless.Core.Administration;

public enum AdministrationError
{
    /// <summary>A field has a value that cannot be accepted (422 with the field named).</summary>
    Invalid,
    NotFound,

    /// <summary>It exists already, or something still depends on it (409).</summary>
    Conflict,
    Forbidden,
}

/// <summary>Why an administrative change was refused; the API turns it into RFC 7807 problem details, the CLI into one line.</summary>
public sealed class AdministrationException : Exception
{
    private AdministrationException(AdministrationError error, string message, string? field)
        : base(message)
    {
        Error = error;
        Field = field;
    }

    public AdministrationError Error { get; }

    /// <summary>The JSON field (camelCase) an <see cref="AdministrationError.Invalid"/> refers to.</summary>
    public string? Field { get; }

    public static AdministrationException Invalid(string field, string message) => new(AdministrationError.Invalid, message, field);

    public static AdministrationException NotFound(string message) => new(AdministrationError.NotFound, message, null);

    public static AdministrationException Conflict(string message) => new(AdministrationError.Conflict, message, null);

    public static AdministrationException Forbidden(string message) => new(AdministrationError.Forbidden, message, null);
}
