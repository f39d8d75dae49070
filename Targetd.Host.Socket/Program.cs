using Targetd.Host.Socket;

return await CommandLine.RunAsync(args, Console.Out, Console.Error);
