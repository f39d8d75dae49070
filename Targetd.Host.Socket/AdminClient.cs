using System.Net.Sockets;
using System.Text;
using Newtonsoft.Json.Linq;

namespace Targetd.Host.Socket;

/// <summary>Sends one request over the control socket and reads its reply line.</summary>
internal static class AdminClient
{
    public static async Task<JObject> SendAsync(string socketPath, string type, JObject? command, CancellationToken cancellationToken)
    {
        using var socket = new System.Net.Sockets.Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), cancellationToken).ConfigureAwait(false);
        await using var stream = new NetworkStream(socket, ownsSocket: false);
        var request = new JObject { ["type"] = type };
        if (command is not null)
        {
            request["command"] = command;
        }

        await stream.WriteAsync(Encoding.UTF8.GetBytes(request.ToString(Newtonsoft.Json.Formatting.None) + "\n"), cancellationToken).ConfigureAwait(false);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        string line = await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false)
            ?? throw new IOException("The daemon closed the connection without replying.");
        return JObject.Parse(line);
    }
}
