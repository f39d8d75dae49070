extern alias qcow2target;

using System.Diagnostics;
using System.Net.Sockets;
using qcow2target::Targetd.Host.Socket;
using Targetd.Tests.Support;

namespace Targetd.Tests.Host;

/// <summary>
/// qcow2target's control socket file: made in a folder of its own and renamed into place; what others planted at
/// the configured path or at names they could guess is never followed, reused or removed.
/// </summary>
[NonParallelizable]
public sealed class ControlSocketFileTests
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private DirectoryInfo _folder = null!;
    private string _path = null!;
    private string _victim = null!;

    [SetUp]
    public void SetUp()
    {
        _folder = Directory.CreateTempSubdirectory("targetd-socket-");
        _path = Path.Combine(_folder.FullName, "control.sock");
        _victim = Path.Combine(_folder.FullName, "victim");
        File.WriteAllText(_victim, "keep me");
        File.SetUnixFileMode(_victim, UnixFileMode.UserRead);
    }

    [TearDown]
    public void TearDown() => _folder.Delete(recursive: true);

    private void VictimShouldBeUntouched()
    {
        File.ReadAllText(_victim).Should().Be("keep me");
        File.GetUnixFileMode(_victim).Should().Be(UnixFileMode.UserRead);
    }

    /// <summary>The entries of the socket's folder, besides the victim.</summary>
    private List<string?> Entries() =>
        [.. Directory.EnumerateFileSystemEntries(_folder.FullName).Select(Path.GetFileName).Where(n => n != "victim").Order(StringComparer.Ordinal)];

    private static void ShouldAnswer(string path)
    {
        using var client = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        client.Connect(new UnixDomainSocketEndPoint(path));
    }

    [Test]
    public void The_socket_has_its_mode_and_leaves_no_folder_behind()
    {
        var file = ControlSocketFile.Create(_path, null);
        using (file.Socket)
        {
            File.GetUnixFileMode(_path).Should().Be(OwnerOnly);
            ShouldAnswer(_path);
            Entries().Should().Equal("control.sock");
        }

        var grouped = ControlSocketFile.Create(Path.Combine(_folder.FullName, "grouped.sock"), "0");
        using (grouped.Socket)
        {
            File.GetUnixFileMode(grouped.Path).Should().Be(OwnerOnly | UnixFileMode.GroupRead | UnixFileMode.GroupWrite);
        }

        file.Remove();
        grouped.Remove();
        Entries().Should().BeEmpty();
    }

    [Test]
    public void Folders_planted_at_the_names_an_older_daemon_used_are_neither_used_nor_removed()
    {
        string planted = Directory.CreateDirectory(Path.Combine(_folder.FullName, $".control.sock.{Environment.ProcessId}.d")).FullName;
        File.CreateSymbolicLink(Path.Combine(planted, "s"), _victim);
        string other = Directory.CreateDirectory(Path.Combine(_folder.FullName, ".qcow2target-AAAAAA")).FullName;
        File.CreateSymbolicLink(Path.Combine(other, "s"), _victim);

        var file = ControlSocketFile.Create(_path, "0");
        using (file.Socket)
        {
            File.GetUnixFileMode(_path).Should().Be(OwnerOnly | UnixFileMode.GroupRead | UnixFileMode.GroupWrite);
            ShouldAnswer(_path);
        }

        VictimShouldBeUntouched();
        new FileInfo(Path.Combine(planted, "s")).LinkTarget.Should().Be(_victim);
        new FileInfo(Path.Combine(other, "s")).LinkTarget.Should().Be(_victim);
        Entries().Should().Equal(".control.sock." + Environment.ProcessId + ".d", ".qcow2target-AAAAAA", "control.sock");
    }

    [Test]
    public void A_symbolic_link_at_the_path_is_refused_and_neither_followed_nor_removed()
    {
        File.CreateSymbolicLink(_path, _victim);
        string dangling = Path.Combine(_folder.FullName, "dangling.sock");
        File.CreateSymbolicLink(dangling, Path.Combine(_folder.FullName, "nowhere"));

        var toFile = () => ControlSocketFile.Create(_path, "0");
        var toNothing = () => ControlSocketFile.Create(dangling, null);

        toFile.Should().Throw<IOException>().WithMessage($"'{_path}' is a symbolic link; refusing*");
        toNothing.Should().Throw<IOException>().WithMessage("*is a symbolic link*");
        VictimShouldBeUntouched();
        new FileInfo(_path).LinkTarget.Should().Be(_victim);
        File.Exists(Path.Combine(_folder.FullName, "nowhere")).Should().BeFalse("nothing is created through a dangling link");
        Entries().Should().Equal("control.sock", "dangling.sock");
    }

    [Test]
    public void A_folder_or_a_file_at_the_path_is_refused_and_kept()
    {
        Directory.CreateDirectory(_path);
        File.WriteAllText(Path.Combine(_path, "inside"), "x");
        string plain = Path.Combine(_folder.FullName, "plain.sock");
        File.WriteAllText(plain, "not a socket");

        var onFolder = () => ControlSocketFile.Create(_path, null);
        var onFile = () => ControlSocketFile.Create(plain, null);

        onFolder.Should().Throw<IOException>().WithMessage("*is a folder; refusing*");
        onFile.Should().Throw<IOException>().WithMessage("*is a file, not a socket*");
        File.ReadAllText(Path.Combine(_path, "inside")).Should().Be("x");
        File.ReadAllText(plain).Should().Be("not a socket");
        Entries().Should().Equal("control.sock", "plain.sock");
    }

    [Test]
    public void A_stale_socket_of_ours_is_replaced_and_a_live_one_refused()
    {
        UnixPermissions.BindUnixSocket(_path).Dispose();
        var stale = UnixPermissions.Status(_path)!.Value;

        stale.IsSocket.Should().BeTrue();
        var file = ControlSocketFile.Create(_path, null);
        using (file.Socket)
        {
            ShouldAnswer(_path);
            UnixPermissions.Status(_path)!.Value.IsSameFile(stale).Should().BeFalse("the stale socket was replaced");
            var second = () => ControlSocketFile.Create(_path, null);
            second.Should().Throw<IOException>().WithMessage("Another daemon is serving*");
            ShouldAnswer(_path);
            Entries().Should().Equal("control.sock");
        }
    }

    [Test]
    public void A_socket_of_another_user_is_refused()
    {
        if (UnixPermissions.EffectiveUserId != 0)
        {
            Prerequisite.Missing("giving a socket to another user takes root");
        }

        UnixPermissions.BindUnixSocket(_path).Dispose();

        using (var chown = Process.Start(new ProcessStartInfo("chown", ["-h", "65534", _path]) { RedirectStandardError = true })!)
        {
            chown.WaitForExit();
            chown.ExitCode.Should().Be(0, chown.StandardError.ReadToEnd());
        }

        var act = () => ControlSocketFile.Create(_path, null);

        act.Should().Throw<IOException>().WithMessage("*socket*belongs to uid 65534*");
        UnixPermissions.Status(_path)!.Value.OwnerId.Should().Be(65534u);
    }

    [Test]
    public void Removing_leaves_whatever_replaced_the_socket()
    {
        var file = ControlSocketFile.Create(_path, null);
        file.Socket.Dispose();
        File.Delete(_path);
        File.WriteAllText(_path, "someone else's");

        file.Remove();

        File.ReadAllText(_path).Should().Be("someone else's");
    }

    [Test]
    public void Closing_the_socket_removes_nothing_at_the_folder_name_it_was_made_in()
    {
        var file = ControlSocketFile.Create(_path, null);
        string staged = file.Socket.LocalEndPoint!.ToString()!;
        string staging = Path.GetDirectoryName(staged)!;
        Path.GetFileName(staging).Should().MatchRegex(@"^\.qcow2target-[A-Za-z0-9]{6}$");
        Directory.Exists(staging).Should().BeFalse("the folder is removed once the socket is in place");

        // Someone makes a folder of that name with an "s" in it: closing the socket leaves it.
        Directory.CreateDirectory(staging);
        File.WriteAllText(staged, "theirs");
        file.Socket.Dispose();
        file.Remove();

        File.ReadAllText(staged).Should().Be("theirs");
        File.Exists(_path).Should().BeFalse();
    }

    [Test]
    public async Task Check_config_refuses_what_the_start_would_refuse_at_the_socket_path()
    {
        File.CreateSymbolicLink(_path, _victim);
        UnixPermissions.BindUnixSocket(Path.Combine(_folder.FullName, "stale.sock")).Dispose();
        string disks = Directory.CreateDirectory(Path.Combine(_folder.FullName, "disks")).FullName;

        var (refused, _, error) = await CheckAsync("--disks-root", disks, "--state", string.Empty, "--socket", _path);
        var (accepted, output, _) = await CheckAsync("--disks-root", disks, "--state", string.Empty, "--socket", Path.Combine(_folder.FullName, "stale.sock"));

        refused.Should().Be(1);
        error.Should().Be($"qcow2target serve: socket: '{_path}' is a symbolic link; refusing to use it as the control socket");
        accepted.Should().Be(0, "a stale socket of ours is replaced at start");
        output.Should().Contain("stale.sock");
        VictimShouldBeUntouched();
    }

    private static async Task<(int Code, string Output, string Error)> CheckAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        int code = await qcow2target::Targetd.Host.Socket.CommandLine.RunAsync(["serve", .. args, "--check-config"], output, error);
        return (code, output.ToString().TrimEnd(), error.ToString().TrimEnd());
    }
}
