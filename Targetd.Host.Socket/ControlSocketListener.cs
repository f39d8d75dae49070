using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging;
using Targetd.Storage.Operations;
using Targetd.Storage.Qcow2Target;

namespace Targetd.Host.Socket;

/// <summary>
/// The control socket: a UNIX stream socket created owner-only (or owner and group) without following, reusing or
/// removing anything found at its path (<see cref="ControlSocketFile"/>), serving newline-framed requests, several per
/// connection.
/// </summary>
internal sealed partial class ControlSocketListener : IAsyncDisposable
{
    private const int MaxConnections = 128;
    private static readonly TimeSpan PartialLineTimeout = TimeSpan.FromSeconds(30);

    private readonly ControlSocketFile _file;
    private readonly Qcow2TargetProtocol _protocol;
    private readonly ILogger _logger;
    private readonly System.Net.Sockets.Socket _socket;
    private readonly SemaphoreSlim _slots = new(MaxConnections, MaxConnections);
    private readonly CancellationTokenSource _stopping = new();
    private Task _acceptLoop = Task.CompletedTask;

    private ControlSocketListener(ControlSocketFile file, Qcow2TargetProtocol protocol, ILogger logger)
    {
        _file = file;
        _socket = file.Socket;
        _protocol = protocol;
        _logger = logger;
    }

    /// <summary>Creates the socket at <paramref name="path"/> (see <see cref="ControlSocketFile"/>) and starts serving.</summary>
    /// <exception cref="IOException">The path holds something other than a stale socket of ours, or a daemon answers there.</exception>
    public static ControlSocketListener Start(string path, string? group, Qcow2TargetProtocol protocol, ILogger logger)
    {
        var listener = new ControlSocketListener(ControlSocketFile.Create(path, group), protocol, logger);
        listener._acceptLoop = listener.AcceptLoopAsync();
        return listener;
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        _socket.Dispose();
        await _acceptLoop.ConfigureAwait(false);
        _file.Remove();
        _stopping.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            System.Net.Sockets.Socket client;
            try
            {
                await _slots.WaitAsync(_stopping.Token).ConfigureAwait(false);
                client = await _socket.AcceptAsync(_stopping.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            _ = ServeAsync(client);
        }
    }

    private async Task ServeAsync(System.Net.Sockets.Socket client)
    {
        try
        {
            string peer = PeerOf(client);
            await using var stream = new NetworkStream(client, ownsSocket: true);
            var reader = PipeReader.Create(stream);
            var writer = PipeWriter.Create(stream);
            bool partialLine = false;
            while (true)
            {
                // A client may idle between requests, but not in the middle of one.
                using var partial = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
                if (partialLine)
                {
                    partial.CancelAfter(PartialLineTimeout);
                }

                var result = await reader.ReadAsync(partial.Token).ConfigureAwait(false);
                var buffer = result.Buffer;
                while (TryReadLine(ref buffer, out var line))
                {
                    if (!await AnswerAsync(writer, line, peer).ConfigureAwait(false))
                    {
                        return;
                    }
                }

                if (buffer.Length > Qcow2TargetProtocol.MaxLineLength)
                {
                    await AnswerAsync(writer, buffer, peer).ConfigureAwait(false);
                    return;
                }

                if (result.IsCompleted)
                {
                    if (!buffer.IsEmpty)
                    {
                        // A last request without its newline is served too.
                        await AnswerAsync(writer, buffer, peer).ConfigureAwait(false);
                    }

                    return;
                }

                reader.AdvanceTo(buffer.Start, buffer.End);
                partialLine = !buffer.IsEmpty;
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            LogConnectionEnded(ex.Message);
        }
        catch (Exception ex)
        {
            LogConnectionFailed(ex);
        }
        finally
        {
            _slots.Release();
        }
    }

    private static bool TryReadLine(ref ReadOnlySequence<byte> buffer, out ReadOnlySequence<byte> line)
    {
        var newline = buffer.PositionOf((byte)'\n');
        if (newline is null)
        {
            line = default;
            return false;
        }

        line = buffer.Slice(0, newline.Value);
        buffer = buffer.Slice(buffer.GetPosition(1, newline.Value));
        return true;
    }

    /// <summary>Writes the reply to one request line; false when the line was oversized and the connection must close.</summary>
    private async ValueTask<bool> AnswerAsync(PipeWriter writer, ReadOnlySequence<byte> line, string peer)
    {
        string reply;
        bool keepOpen = line.Length <= Qcow2TargetProtocol.MaxLineLength;
        if (keepOpen)
        {
            string text = Encoding.UTF8.GetString(line);
            reply = await _protocol.HandleLineAsync(text.EndsWith('\r') ? text[..^1] : text, ApiCaller.From(peer), _stopping.Token).ConfigureAwait(false);
        }
        else
        {
            reply = Qcow2TargetProtocol.OversizedLineReply();
        }

        await writer.WriteAsync(Encoding.UTF8.GetBytes(reply + "\n"), _stopping.Token).ConfigureAwait(false);
        return keepOpen;
    }

    /// <summary>The peer of a UNIX socket as its credentials name it (SO_PEERCRED: pid, uid, gid), for audit lines.</summary>
    private static string PeerOf(System.Net.Sockets.Socket client)
    {
        const int solSocket = 1;
        const int soPeerCred = 17;
        Span<byte> credentials = stackalloc byte[12];
        try
        {
            return client.GetRawSocketOption(solSocket, soPeerCred, credentials) == 12
                ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"pid {BitConverter.ToInt32(credentials)} uid {BitConverter.ToInt32(credentials[4..])}")
                : "unix";
        }
        catch (SocketException)
        {
            return "unix";
        }
    }

    [LoggerMessage(EventId = 200, Level = LogLevel.Debug, Message = "Control connection ended: {Reason}")]
    private partial void LogConnectionEnded(string reason);

    [LoggerMessage(EventId = 201, Level = LogLevel.Error, Message = "Control connection failed")]
    private partial void LogConnectionFailed(Exception exception);
}
