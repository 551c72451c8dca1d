using MailServerless.TestTools;

// Programs the integration tests run as separate processes:
//   deliver <base> <maildir> <id-prefix> <count> <bytes> [sync]   Maildir deliveries (see MaildirWriter)
//   spool <data-dir> [--crash-after-delivery] [--slow-ms N]        the inbound workers over a data directory (see SpoolWorker)
return args switch
{
    ["deliver", ..] => await MaildirWriter.RunAsync(args[1..]),
    ["spool", var dataDirectory, .. var options] => await SpoolWorker.RunAsync(dataDirectory, options),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: deliver <base> <maildir> <id-prefix> <count> <bytes> [sync] | spool <data-dir> [--crash-after-delivery] [--slow-ms N]");
    return 64;
}
