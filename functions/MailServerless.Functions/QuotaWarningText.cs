using System.Globalization;

namespace MailServerless.Functions;

/// <summary>What a quota warning says, in the languages the server writes in.</summary>
public static class QuotaWarningText
{
    public static (string Subject, string Body) For(string language, string address, int percent, long usedBytes, long limitBytes) => language switch
    {
        "ja" => (
            $"メールボックスの使用量が {percent}% を超えました",
            $"{address} のメールボックスは、容量 {Size(limitBytes)} のうち {Size(usedBytes)} を使用しています（{percent}% 以上）。\n\n" +
            "容量がいっぱいになると、新しいメールは受け取れず、送信者に返送されます。\n" +
            "不要なメールを削除するか、ゴミ箱と迷惑メールのフォルダを空にして、空き容量を確保してください。\n"),
        _ => (
            $"Your mailbox is over {percent}% full",
            $"The mailbox {address} uses {Size(usedBytes)} of its {Size(limitBytes)} quota (over {percent}%).\n\n" +
            "When it is full, new mail cannot be delivered and is returned to its senders.\n" +
            "Delete messages you no longer need, or empty the Trash and Junk folders, to make room.\n"),
    };

    /// <summary>A size as people read it: 512 KB, 9.5 MB, 2 GB (powers of 1024, as mail clients show quotas).</summary>
    public static string Size(long bytes)
    {
        string[] units = ["bytes", "KB", "MB", "GB", "TB"];
        double value = bytes;
        var unit = 0;
        while (value >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }

        return unit == 0
            ? string.Create(CultureInfo.InvariantCulture, $"{bytes} bytes")
            : string.Create(CultureInfo.InvariantCulture, $"{(value < 10 ? Math.Round(value, 1) : Math.Round(value)):0.#} {units[unit]}");
    }
}
