using MailServerless.EdgeServer.Hosting;

// One process, every role: `setup` prepares the directory and exits; anything else runs the server.
return await EdgeServerProgram.RunAsync(args);
