using System.Globalization;
using MailServerless.Core.Administration;
using Microsoft.AspNetCore.Mvc.ModelBinding;
using Microsoft.Extensions.Localization;

namespace MailServerless.EdgeServer.WebConsole;

/// <summary>
/// Numbers and sizes as typed into a form: empty leaves the value as it is (null), anything that does not read puts
/// its reason beside the field. Sizes are read as the API reads them (<see cref="Sizes"/>); a domain's limits typed
/// as a plain number are megabytes, as in PostfixAdmin's form.
/// </summary>
public static class FormNumbers
{
    public static long? WholeNumber(string? text, string key, ModelStateDictionary state, IStringLocalizer<ConsoleText> words)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(words);
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        if (long.TryParse(text.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) && value is >= -1 and <= int.MaxValue)
        {
            return value;
        }

        state.AddModelError(key, words["Error.WholeNumber"]);
        return null;
    }

    public static long? Megabytes(string? text, string key, ModelStateDictionary state)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        var value = text.Trim();
        if (value.All(char.IsAsciiDigit) && long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var megabytes) && megabytes <= Sizes.MaxBytes / Sizes.Megabyte)
        {
            return megabytes;
        }

        return Read(() => Sizes.Megabytes(value, Field(key)), key, state);
    }

    public static long? Bytes(string? text, string key, ModelStateDictionary state)
    {
        ArgumentNullException.ThrowIfNull(state);
        return string.IsNullOrWhiteSpace(text) ? null : Read(() => Sizes.Bytes(text, Field(key)), key, state);
    }

    private static long? Read(Func<long> read, string key, ModelStateDictionary state)
    {
        try
        {
            return read();
        }
        catch (AdministrationException e)
        {
            state.AddModelError(key, e.Message);
            return null;
        }
    }

    /// <summary>The API's name of a form field: <c>Input.MaxQuota</c> is <c>maxQuota</c>.</summary>
    private static string Field(string key)
    {
        var name = key[(key.LastIndexOf('.') + 1)..];
        return char.ToLowerInvariant(name[0]) + name[1..];
    }
}
