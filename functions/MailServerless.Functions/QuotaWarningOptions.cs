using System.Globalization;

namespace MailServerless.Functions;

/// <summary>The <c>Mail:Quota</c> settings: Dovecot's <c>quota_warning</c>s.</summary>
public sealed class QuotaWarningOptions
{
    /// <summary>
    /// Percentages of a mailbox's quota whose crossing (from below, by a delivery) sends its owner a warning,
    /// comma-separated; empty: none.
    /// </summary>
    public string Warnings { get; set; } = "80,95";

    /// <summary>The language of a warning to an owner who set none (<c>en</c> or <c>ja</c>).</summary>
    public string DefaultLanguage { get; set; } = "en";

    /// <summary>The thresholds, highest first; a value that is not a whole percentage from 1 to 100 is named.</summary>
    public IReadOnlyList<int> Thresholds()
    {
        var thresholds = new List<int>();
        foreach (var item in Warnings.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var text = item.TrimEnd('%');
            if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var percent) || percent is < 1 or > 100)
            {
                throw new ArgumentException($"Mail:Quota:Warnings: '{item}' is not a percentage from 1 to 100");
            }

            thresholds.Add(percent);
        }

        return thresholds.Distinct().OrderDescending().ToList();
    }
}
