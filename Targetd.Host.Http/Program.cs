using Targetd.Host.Http;

return CommandLine.Run(args, Console.Out, Console.Error);
