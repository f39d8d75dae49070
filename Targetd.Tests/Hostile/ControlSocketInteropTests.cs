using Targetd.Tests.Support;

namespace Targetd.Tests.Hostile;

/// <summary>
/// What a local user could plant for qcow2target's control socket: a symbolic link at its path, a folder under the
/// predictable name of the old private folder (with a link inside), a stale socket, a folder at the path. The daemon
/// starts with its socket in place and its configured mode, or refuses with a clear error, and follows, changes or
/// deletes nothing it did not make.
/// </summary>
[Category("Interop")]
[Category("Hostile")]
[NonParallelizable]
public sealed class ControlSocketInteropTests
{
    private DirectoryInfo _folder = null!;
    private string _disks = null!;
    private Qcow2TargetDaemon? _daemon;

    [SetUp]
    public void SetUp()
    {
        _folder = Directory.CreateTempSubdirectory("targetd-socket-");
        _disks = Path.Combine(_folder.FullName, "disks");
        Directory.CreateDirectory(_disks);
    }

    [TearDown]
    public async Task TearDown()
    {
        if (_daemon is not null)
        {
            await _daemon.DisposeAsync();
            _daemon = null;
        }

        _folder.Delete(recursive: true);
    }

    private async Task<Qcow2TargetDaemon> StartAsync(int? port = null) =>
        _daemon = await Qcow2TargetDaemon.StartAsync(_folder.FullName, _disks, port);

    [Test]
    public async Task A_symbolic_link_at_the_socket_path_is_refused_not_followed()
    {
        string victim = Path.Combine(_folder.FullName, "victim");
        await File.WriteAllTextAsync(victim, "keep me");
        File.CreateSymbolicLink(Path.Combine(_folder.FullName, "control.sock"), victim);

        var start = async () => await StartAsync();

        (await start.Should().ThrowAsync<InvalidOperationException>()).Which.Message.Should().Contain("symbolic link");
        (await File.ReadAllTextAsync(victim)).Should().Be("keep me");
    }

    [Test]
    [CancelAfter(120_000)]
    public async Task A_stale_socket_is_replaced_what_others_planted_is_left_and_a_folder_at_the_path_refused()
    {
        string planted = Directory.CreateDirectory(Path.Combine(_folder.FullName, ".qcow2target-AAAAAA")).FullName;
        string victim = Path.Combine(_folder.FullName, "victim");
        await File.WriteAllTextAsync(victim, "keep me");
        File.CreateSymbolicLink(Path.Combine(planted, "s"), victim);
        var daemon = await StartAsync();
        daemon.KillHard();

        daemon = await StartAsync(daemon.Port);

        File.GetUnixFileMode(daemon.SocketPath).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite);
        (await daemon.OkAsync("LIST")).Should().BeEmpty();
        Directory.EnumerateFileSystemEntries(_folder.FullName).Select(Path.GetFileName).Order(StringComparer.Ordinal)
            .Should().Equal(".qcow2target-AAAAAA", "control.sock", "disks", "victim");
        new FileInfo(Path.Combine(planted, "s")).LinkTarget.Should().Be(victim);
        (await File.ReadAllTextAsync(victim)).Should().Be("keep me");

        await daemon.DisposeAsync();
        File.Delete(daemon.SocketPath);
        Directory.CreateDirectory(daemon.SocketPath);
        await File.WriteAllTextAsync(Path.Combine(daemon.SocketPath, "inside"), "kept");
        var start = async () => await StartAsync();

        (await start.Should().ThrowAsync<InvalidOperationException>()).Which.Message.Should().Contain($"socket: '{daemon.SocketPath}' is a folder; refusing");
        (await File.ReadAllTextAsync(Path.Combine(daemon.SocketPath, "inside"))).Should().Be("kept");
    }
}
