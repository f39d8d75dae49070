// Serves a fresh qcow2 image over iSCSI from this process: CHAP-protected target, portal on 127.0.0.1.
//   dotnet run -- --port 3260 --user sample --secret sample-secret-1 [--seconds 30]
// then, from another shell (libiscsi-bin):
//   iscsi-inq iscsi://sample%sample-secret-1@127.0.0.1:3260/iqn.2024-01.net.targetd.samples:disk0/0
using System.Net;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using Targetd.Iscsi;
using Targetd.Iscsi.Targets;
using Targetd.Qcow2;

ServeOptions options;
try
{
    options = ServeOptions.Parse(args);
}
catch (ArgumentException ex)
{
    Console.Error.WriteLine($"IscsiServe: {ex.Message}");
    Console.Error.WriteLine(ServeOptions.Usage);
    return 2;
}

using var loggerFactory = LoggerFactory.Create(logging => logging.AddSimpleConsole(console => console.SingleLine = true));
var folder = Directory.CreateTempSubdirectory("targetd-sample-");
try
{
    // A thin 64 MiB image whose first block says what it is, so a reader can recognise it.
    await using var image = await Qcow2Image.CreateAsync(Path.Combine(folder.FullName, "disk0.qcow2"), new Qcow2CreateOptions { Size = options.SizeBytes });
    var label = new byte[512];
    "Targetd.NET sample disk"u8.CopyTo(label);
    await image.WriteAsync(0, label);

    var target = new IscsiTarget(options.TargetName, "Targetd.NET sample") { Chap = new ChapCredentials(options.User, options.Secret) };
    target.AddLun(0, image);
    var registry = new IscsiTargetRegistry();
    registry.Add(target);
    registry.SessionOpened += (_, e) =>
        Console.WriteLine($"session opened: {e.InitiatorName} -> {e.TargetName ?? "discovery"} (TSIH {e.Tsih}) from {e.RemoteEndPoint}");
    registry.SessionClosed += (_, e) =>
        Console.WriteLine($"session closed: {e.InitiatorName} -> {e.TargetName ?? "discovery"} (TSIH {e.Tsih}): {e.CloseReason}");
    registry.LoginRefused += (_, e) =>
        Console.WriteLine($"login refused: {e.InitiatorName ?? "(no name)"} -> {e.TargetName ?? "discovery"} from {e.RemoteEndPoint}: {e.Reason}");

    await using var portal = new IscsiPortal(registry, new IPEndPoint(IPAddress.Loopback, options.Port), loggerFactory);
    await portal.StartAsync();
    Console.WriteLine($"target: {target.Name}");
    Console.WriteLine($"portal: {portal.LocalEndPoint}");
    Console.WriteLine($"CHAP user: {options.User}");

    // Ctrl-C (SIGINT) or SIGTERM stops the portal; so does the end of --seconds.
    using var stop = new CancellationTokenSource();
    using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, context => { context.Cancel = true; stop.Cancel(); });
    using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context => { context.Cancel = true; stop.Cancel(); });
    if (options.Duration is { } duration)
    {
        stop.CancelAfter(duration);
    }

    Console.WriteLine(options.Duration is { } d ? $"serving for {d.TotalSeconds:0} s or until Ctrl-C" : "serving until Ctrl-C");
    try
    {
        await Task.Delay(Timeout.Infinite, stop.Token);
    }
    catch (OperationCanceledException)
    {
        // Asked to stop.
    }

    // Commands in flight finish before the connections close (up to the portal's DrainTimeout).
    await portal.StopAsync();
    Console.WriteLine("stopped");
    return 0;
}
finally
{
    folder.Delete(recursive: true);
}
