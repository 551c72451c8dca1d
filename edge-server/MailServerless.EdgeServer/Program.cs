using System.Text;
using MailServerless.Core.Storage;
using MailServerless.EdgeServer.Cli;

// Before any file is made: mail, spool, directory and keys are 0600 in 0700 folders (umask 077).
PrivateFiles.RestrictProcessUmask();

// The code pages .NET leaves out by default, so that MimeKit decodes ISO-2022-JP, Shift_JIS, EUC-JP and the
// Windows code pages in headers and bodies (SEARCH, SORT, THREAD, Sieve), as Dovecot does through iconv.
Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);

// One program, every role: without a command it runs the server; `setup` and `admin` work on the directory.
return await MailServerlessCommandLine.RunAsync(args, Console.In, Console.Out, Console.Error);
