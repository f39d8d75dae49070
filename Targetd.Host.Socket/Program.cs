using Targetd.Host.Socket;

// File I/O on Linux runs on pool threads; a deep queue of blocking writes needs enough of them from the start.
ThreadPool.GetMinThreads(out int workers, out int completionPorts);
ThreadPool.SetMinThreads(Math.Max(workers, 64), completionPorts);

return await CommandLine.RunAsync(args, Console.Out, Console.Error);
