using Targetd.Host.Socket;

return CommandLine.Run(args, Console.Out, Console.Error);
