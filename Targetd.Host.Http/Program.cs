using Targetd.Host.Http;

return await CommandLine.RunAsync(args, Console.Out, Console.Error);
