using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;
using Targetd.Core.State;

namespace Targetd.Iscsi.Scsi.Reservations;

/// <summary>
/// Where a logical unit keeps its persistent reservations when an initiator asks for them to survive power loss
/// (APTPL, SPC-4 §5.9.4): a small text file, replaced atomically (written beside, flushed, renamed). Saves are
/// serialized and an older snapshot never overwrites a newer one.
/// </summary>
[SuppressMessage("Design", "CA1001", Justification = "The semaphore never allocates a wait handle; it lives as long as the logical unit.")]
internal sealed class ReservationFile
{
    private const string Magic = "targetd-persistent-reservations 1";
    private readonly SemaphoreSlim _writing = new(1, 1);
    private readonly IStateFileSystem _files;
    private long _written;

    public ReservationFile(string path)
        : this(path, LocalStateFileSystem.Instance)
    {
    }

    public ReservationFile(string path, IStateFileSystem files)
    {
        Path = path;
        _files = files;
    }

    public string Path { get; }

    /// <summary>Reads the saved state, or null when there is none or it cannot be read.</summary>
    public Snapshot? Load()
    {
        try
        {
            return _files.Exists(Path) ? Parse(_files.ReadAllText(Path).Split('\n')) : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Replaces the file with a snapshot, unless a newer one is already written.</summary>
    public async ValueTask SaveAsync(Snapshot snapshot, CancellationToken cancellationToken)
    {
        await _writing.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (snapshot.Version <= _written)
            {
                return;
            }

            // A file left by a save that a crash interrupted is replaced.
            string temporary = Path + ".new";
            _files.Delete(temporary);
            await DurableFile.ReplaceAsync(_files, Path, temporary, Encoding.UTF8.GetBytes(Format(snapshot)), cancellationToken).ConfigureAwait(false);
            _written = snapshot.Version;
        }
        finally
        {
            _writing.Release();
        }
    }

    internal static string Format(Snapshot snapshot)
    {
        var text = new StringBuilder();
        text.Append(Magic).Append('\n');
        text.Append(CultureInfo.InvariantCulture, $"aptpl {(snapshot.PersistThroughPowerLoss ? 1 : 0)}\n");
        text.Append(CultureInfo.InvariantCulture, $"generation {snapshot.Generation}\n");
        if (snapshot.Type is { } type)
        {
            text.Append(CultureInfo.InvariantCulture, $"reservation {(byte)type} {snapshot.Holder ?? "-"}\n");
        }

        foreach (var (port, key) in snapshot.Registrations)
        {
            text.Append(CultureInfo.InvariantCulture, $"registration {key:x16} {port}\n");
        }

        return text.ToString();
    }

    internal static Snapshot? Parse(IReadOnlyList<string> lines)
    {
        if (lines.Count == 0 || lines[0] != Magic)
        {
            return null;
        }

        bool aptpl = false;
        uint generation = 0;
        PersistentReservationType? type = null;
        string? holder = null;
        var registrations = new List<(string, ulong)>();
        foreach (string line in lines.Skip(1))
        {
            string[] fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            switch (fields)
            {
                case ["aptpl", var value]:
                    aptpl = value == "1";
                    break;
                case ["generation", var value] when uint.TryParse(value, CultureInfo.InvariantCulture, out uint parsed):
                    generation = parsed;
                    break;
                case ["reservation", var value, var who] when byte.TryParse(value, CultureInfo.InvariantCulture, out byte parsed)
                        && Enum.IsDefined((PersistentReservationType)parsed):
                    type = (PersistentReservationType)parsed;
                    holder = who == "-" ? null : who;
                    break;
                case ["registration", var value, var port] when ulong.TryParse(value, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out ulong key):
                    registrations.Add((port, key));
                    break;
                case []:
                    break;
                default:
                    return null;
            }
        }

        return new Snapshot(0, aptpl, generation, type, holder, registrations);
    }

    /// <summary>The persistent part of the reservation state.</summary>
    internal sealed record Snapshot(
        long Version, bool PersistThroughPowerLoss, uint Generation, PersistentReservationType? Type, string? Holder,
        IReadOnlyList<(string Port, ulong Key)> Registrations);
}
