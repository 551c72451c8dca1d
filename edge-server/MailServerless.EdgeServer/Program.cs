using MailServerless.Core.Storage;
using MailServerless.EdgeServer.Cli;

// Before any file is made: mail, spool, directory and keys are 0600 in 0700 folders (umask 077).
PrivateFiles.RestrictProcessUmask();

// One program, every role: without a command it runs the server; `setup` and `admin` work on the directory.
return await MailServerlessCommandLine.RunAsync(args, Console.In, Console.Out, Console.Error);
