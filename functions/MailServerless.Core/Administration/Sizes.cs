using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace MailServerless.Core.Administration;

/// <summary>
/// Sizes as an administrator writes them: plain bytes (<c>102400000</c>) or a number with a unit, <c>K</c>
/// (1,024 bytes), <c>M</c> (PostfixAdmin's megabyte, its <c>quota_multiplier</c> of 1,024,000 bytes), <c>G</c>
/// (1,024 M) or <c>T</c> (1,024 G), optionally followed by <c>B</c> (<c>100M</c>, <c>100MB</c>, <c>1G</c>).
/// With M as PostfixAdmin counts it, "100M" is the 102,400,000 bytes PostfixAdmin stores for a 100 MB mailbox,
/// and a mailbox of <c>1G</c> fits a domain whose largest mailbox is <c>1G</c>.
/// </summary>
public static class Sizes
{
    /// <summary>PostfixAdmin's <c>quota_multiplier</c>: the bytes in one of its megabytes.</summary>
    public const long Megabyte = 1_024_000;

    /// <summary>The largest size taken: 1 PB, far above any mailbox; sums of many stay inside a long.</summary>
    public const long MaxBytes = 1_000_000_000_000_000;

    /// <summary>Bytes from <paramref name="text"/>; an <see cref="AdministrationException"/> naming <paramref name="field"/> otherwise.</summary>
    public static long Bytes(string? text, string field)
    {
        var value = (text ?? string.Empty).Trim();
        var digits = 0;
        while (digits < value.Length && char.IsAsciiDigit(value[digits]))
        {
            digits++;
        }

        var multiplier = value[digits..].Trim().ToUpperInvariant() switch
        {
            "" or "B" => 1L,
            "K" or "KB" => 1024L,
            "M" or "MB" => Megabyte,
            "G" or "GB" => 1024 * Megabyte,
            "T" or "TB" => 1024 * 1024 * Megabyte,
            _ => 0L,
        };
        if (digits == 0 || multiplier == 0 ||
            !long.TryParse(value.AsSpan(0, digits), NumberStyles.None, CultureInfo.InvariantCulture, out var number) ||
            number > MaxBytes / multiplier)
        {
            throw AdministrationException.Invalid(field,
                $"{field} '{Shorten(text)}' is not a size: write bytes (102400000) or a number with K, M or G (100M, 1G); at most 1 PB.");
        }

        return number * multiplier;
    }

    /// <summary>
    /// PostfixAdmin's megabytes (a domain's limits) from <paramref name="text"/>: <c>0</c> (unlimited), <c>-1</c>
    /// (none allowed), or a size that is a whole number of megabytes (<c>2048M</c>, <c>1G</c>, <c>10240000</c>).
    /// </summary>
    public static long Megabytes(string? text, string field)
    {
        var value = (text ?? string.Empty).Trim();
        if (value is "0" or "-1")
        {
            return long.Parse(value, CultureInfo.InvariantCulture);
        }

        var bytes = Bytes(value, field);
        return bytes % Megabyte == 0 && bytes > 0
            ? bytes / Megabyte
            : throw AdministrationException.Invalid(field,
                $"{field} '{Shorten(text)}' is not a whole number of megabytes (1,024,000 bytes each, as PostfixAdmin counts): write it with M or G (2048M, 1G), or 0 for unlimited.");
    }

    /// <summary>A size for people: <c>100M</c> when it is whole megabytes, else bytes.</summary>
    public static string Describe(long bytes) =>
        bytes > 0 && bytes % (1024 * Megabyte) == 0 ? $"{bytes / (1024 * Megabyte)}G"
        : bytes > 0 && bytes % Megabyte == 0 ? $"{bytes / Megabyte}M"
        : bytes.ToString(CultureInfo.InvariantCulture);

    private static string Shorten(string? text) =>
        text is null ? string.Empty : new string(text.Take(40).Select(c => char.IsControl(c) ? '?' : c).ToArray());
}

/// <summary>
/// A size in JSON: a number in the field's own unit, or a string with a unit that <see cref="Parse"/> reads; a
/// refused string is the JSON error it is, so the API answers 400 with the reason.
/// </summary>
public abstract class SizeJsonConverter : JsonConverter<long?>
{
    public override bool HandleNull => true;

    /// <summary>The field's value from a string such as <c>"100M"</c>.</summary>
    protected abstract long Parse(string? text);

    public override long? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.Null:
                return null;
            case JsonTokenType.Number:
                return reader.GetInt64();
            case JsonTokenType.String:
                try
                {
                    return Parse(reader.GetString());
                }
                catch (AdministrationException e)
                {
                    throw new JsonException(e.Message, e);
                }

            default:
                throw new JsonException("a size is a number or a string such as \"100M\"");
        }
    }

    public override void Write(Utf8JsonWriter writer, long? value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        if (value is { } number)
        {
            writer.WriteNumberValue(number);
        }
        else
        {
            writer.WriteNullValue();
        }
    }
}

/// <summary>A size in bytes in JSON: a number of bytes, or a string with a unit (<see cref="Sizes.Bytes"/>).</summary>
public sealed class BytesJsonConverter : SizeJsonConverter
{
    protected override long Parse(string? text) => Sizes.Bytes(text, "size");
}

/// <summary>
/// A domain limit in PostfixAdmin's megabytes in JSON: a number of megabytes (the column's own unit, as
/// PostfixAdmin's forms take it), or a string with a unit (<see cref="Sizes.Megabytes"/>: <c>"1G"</c>).
/// </summary>
public sealed class MegabytesJsonConverter : SizeJsonConverter
{
    protected override long Parse(string? text) => Sizes.Megabytes(text, "size");
}
