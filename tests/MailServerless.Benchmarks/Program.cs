using MailServerless.Benchmarks;

// dotnet run -c Release --project tests/MailServerless.Benchmarks -- maildir [--deliveries N] [--large N] [--dir PATH]
// dotnet run -c Release --project tests/MailServerless.Benchmarks -- spool [--messages N] [--workers N]
// dotnet run -c Release --project tests/MailServerless.Benchmarks -- smtp [--messages N] [--sessions N] [--idle N] [--checks on|off] [--sieve on|off]
// dotnet run -c Release --project tests/MailServerless.Benchmarks -- fault [--messages N] [--senders N] [--cycles N]
// dotnet run -c Release --project tests/MailServerless.Benchmarks -- header-bomb [--megabytes N]
// dotnet run -c Release --project tests/MailServerless.Benchmarks -- imap-latency [--rounds N]
// dotnet run -c Release --project tests/MailServerless.Benchmarks -- imap-stress --port P --user U [--sessions N] [--seconds N] [--depth N] [--starttls] [--label L]
// bash tests/MailServerless.Benchmarks/cluster-bench.sh [--messages N] [--senders N]   (starts MariaDB and the SQS/S3 emulator)
// bash tests/MailServerless.Benchmarks/lambda-cold-start.sh [--runs N] [DIR=HANDLER ...]   (likewise; publishes the Lambda package)
return args switch
{
    ["maildir", .. var rest] => await MaildirBenchmark.RunAsync(rest),
    ["spool", .. var rest] => await SpoolBenchmark.RunAsync(rest),
    ["smtp", .. var rest] => await SmtpBenchmark.RunAsync(rest),
    ["serve"] => await SmtpBenchmark.ServeAsync(),
    ["serve", "--mysql", var connectionString] => await SmtpBenchmark.ServeAsync(connectionString),
    ["imap-stress", .. var rest] => await ImapStressBenchmark.RunAsync(rest),
    ["fault", .. var rest] => await FaultRun.RunAsync(rest),
    ["cluster", .. var rest] => await ClusterBenchmark.RunAsync(rest),
    ["header-bomb", .. var rest] => await HeaderBombBenchmark.RunAsync(rest),
    ["imap-latency", .. var rest] => await ImapLatencyBenchmark.RunAsync(rest),
    ["open-folder", var root, var folder] => await MaildirBenchmark.OpenInFreshProcessAsync(root, folder),
    ["lambda-cold-start", .. var rest] => await LambdaColdStartBenchmark.RunAsync(rest),
    ["lambda-invoke", var folder, var handler, var eventFile] => await LambdaColdStartBenchmark.InvokeAsync(folder, handler, eventFile),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: maildir [--deliveries N] [--large N] [--dir PATH] | spool [--messages N] [--workers N] | smtp [--messages N] [--sessions N] [--idle N] [--checks on|off] [--sieve on|off] | fault [--messages N] [--senders N] [--cycles N] | cluster [--messages N] [--senders N] | header-bomb [--megabytes N] | imap-latency [--rounds N] | imap-stress --port P --user U [--sessions N] [--seconds N] [--depth N] [--starttls] [--label L] | serve [--mysql CONNECTION]");
    return 64;
}
