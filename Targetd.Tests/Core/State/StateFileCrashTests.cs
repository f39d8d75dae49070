using System.Text;
using Newtonsoft.Json.Linq;
using Targetd.Core.State;
using Targetd.Iscsi.Scsi.Reservations;
using Targetd.Storage.State;

namespace Targetd.Tests.Core.State;

/// <summary>
/// The state files (targetd's exports, qcow2target's targets, the pools' indexes, the APTPL reservation files) through
/// every power cut the crash model allows while one is replaced: each disk left reads back as the old state or the new,
/// and once the write has returned, as the new.
/// </summary>
public sealed class StateFileCrashTests
{
    private const string Folder = "/state";
    private const string StatePath = "/state/state.json";

    [Test]
    public async Task A_json_state_file_is_old_or_new_after_any_power_cut_and_new_once_written()
    {
        var files = new CrashModelFileSystem();
        var old = new JObject { ["exports"] = new JArray("old") };
        var replacement = new JObject { ["exports"] = new JArray(Enumerable.Range(0, 200).Select(i => $"iqn.2024-01.org.example:host-{i}")) };
        await Json(files).WriteAsync(old);
        files.ForgetCrashPoints();

        await Json(files).WriteAsync(replacement);

        int states = 0;
        foreach (var (point, index) in files.CrashPoints.Select((p, i) => (p, i)))
        {
            bool returned = index == files.CrashPoints.Count - 1;
            foreach (var (description, disk) in point.Disks())
            {
                states++;
                var read = await Json(disk).ReadAsync();
                read.Should().NotBeNull(description);
                bool isNew = JToken.DeepEquals(read, replacement);
                (isNew || (!returned && JToken.DeepEquals(read, old))).Should().BeTrue($"{description}: {read}");
            }
        }

        files.CrashPoints.Select(p => p.After.Split(' ')[0]).Should().Equal("create", "fsync", "rename", "fsync");
        states.Should().BeGreaterThan(20);
    }

    [Test]
    public async Task An_aptpl_reservation_file_is_old_or_new_after_any_power_cut_and_new_once_saved()
    {
        var files = new CrashModelFileSystem();
        var file = new ReservationFile("/state/reservations/lun0", files);
        var old = Snapshot(1, ("iqn.2024-01.org.example:a,i,0x1", 0xAAUL));
        var saved = Snapshot(2, ("iqn.2024-01.org.example:a,i,0x1", 0xAAUL), ("iqn.2024-01.org.example:b,i,0x1", 0xBBUL));
        await file.SaveAsync(old, CancellationToken.None);
        files.ForgetCrashPoints();

        await file.SaveAsync(saved, CancellationToken.None);

        foreach (var (point, index) in files.CrashPoints.Select((p, i) => (p, i)))
        {
            foreach (var (description, disk) in point.Disks())
            {
                var loaded = new ReservationFile(file.Path, disk).Load();
                loaded.Should().NotBeNull(description);
                var keys = loaded!.Registrations.Select(r => r.Key).ToList();
                if (index == files.CrashPoints.Count - 1)
                {
                    keys.Should().Equal([0xAAUL, 0xBBUL], $"{description}: an acknowledged registration survives a power cut");
                }
                else
                {
                    keys.Should().Match<List<ulong>>(k => k.SequenceEqual(new[] { 0xAAUL }) || k.SequenceEqual(new[] { 0xAAUL, 0xBBUL }), description);
                }
            }
        }
    }

    [Test]
    public async Task The_model_finds_a_rename_before_the_data_is_flushed()
    {
        var files = new CrashModelFileSystem();
        await DurableFile.ReplaceAsync(files, StatePath, StatePath + ".tmp", Encoding.UTF8.GetBytes("{\"v\":1}"));
        files.ForgetCrashPoints();

        // The order without the file's fsync: a power cut may keep the rename and lose the data.
        await files.CreateNewAsync(StatePath + ".tmp", Encoding.UTF8.GetBytes("{\"v\":2}"));
        files.Move(StatePath + ".tmp", StatePath);
        files.FlushFolder(Folder);

        var texts = files.CrashPoints.SelectMany(p => p.Disks()).Select(d => d.Disk.ReadAllText(StatePath)).ToList();
        texts.Should().Contain(string.Empty, "the renamed file's data may not have reached the disk");
    }

    [Test]
    public async Task The_model_finds_a_rename_that_was_never_made_durable()
    {
        var files = new CrashModelFileSystem();
        await DurableFile.ReplaceAsync(files, StatePath, StatePath + ".tmp", Encoding.UTF8.GetBytes("{\"v\":1}"));
        files.ForgetCrashPoints();

        // The order without the folder's fsync: the call returns, yet a power cut may bring the old file back.
        await files.CreateNewAsync(StatePath + ".tmp", Encoding.UTF8.GetBytes("{\"v\":2}"));
        files.FlushFile(StatePath + ".tmp");
        files.Move(StatePath + ".tmp", StatePath);

        files.CrashPoints[^1].Disks().Select(d => d.Disk.ReadAllText(StatePath)).Should().Contain("{\"v\":1}");
    }

    private static AtomicJsonFile<JObject> Json(IStateFileSystem files) => new(StatePath, j => j, j => j, files);

    private static ReservationFile.Snapshot Snapshot(long version, params (string Port, ulong Key)[] registrations) =>
        new(version, PersistThroughPowerLoss: true, Generation: (uint)version, Type: null, Holder: null, registrations);
}
