using MailServerless.EdgeServer.Cli;

// One program, every role: without a command it runs the server; `setup` and `admin` work on the directory.
return await MailServerlessCommandLine.RunAsync(args, Console.In, Console.Out, Console.Error);
