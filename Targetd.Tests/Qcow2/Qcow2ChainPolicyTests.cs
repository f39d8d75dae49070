using System.Diagnostics;
using System.Text;
using Targetd.Qcow2;
using Targetd.Qcow2.Format;
using Targetd.Qcow2.Metadata;
using Targetd.Tests.Support;

namespace Targetd.Tests.Qcow2;

/// <summary>Backing chains that leave their folder, loop, block on a FIFO or run too deep are refused, naming the file.</summary>
public sealed class Qcow2ChainPolicyTests
{
    private DirectoryInfo _directory = null!;
    private string _root = null!;

    [SetUp]
    public void SetUp()
    {
        _directory = Directory.CreateTempSubdirectory("targetd-chain-");
        _root = Directory.CreateDirectory(Path.Combine(_directory.FullName, "root")).FullName;
    }

    [TearDown]
    public void TearDown() => _directory.Delete(recursive: true);

    private Qcow2OpenOptions Confined => new() { ReadOnly = true, ChainPolicy = Qcow2ChainPolicy.Confined([_root]) };

    private string InRoot(string name) => Path.Combine(_root, name);

    private static async Task CreateAsync(string path, string? backing = null, Qcow2BackingFormat? format = null)
    {
        await using var image = await Qcow2Image.CreateAsync(path, new Qcow2CreateOptions { Size = 1 << 20, BackingFile = backing, BackingFormat = backing is null ? null : format ?? Qcow2BackingFormat.Qcow2 });
    }

    /// <summary>
    /// Makes <paramref name="path"/> an image whose backing file is <paramref name="backing"/>, which need not exist or
    /// be a file: the image is made in a scratch folder beside a stand-in for a relative backing name, then moved.
    /// </summary>
    private async Task CreateNamingAsync(string path, string backing, Qcow2BackingFormat format = Qcow2BackingFormat.Qcow2)
    {
        string scratch = Directory.CreateDirectory(Path.Combine(_directory.FullName, "scratch-" + Guid.NewGuid().ToString("N"))).FullName;
        if (!Path.IsPathRooted(backing))
        {
            await CreateAsync(Path.Combine(scratch, backing));
        }

        string made = Path.Combine(scratch, Path.GetFileName(path) + ".new");
        await CreateAsync(made, backing, format);
        File.Move(made, path, overwrite: true);
        Directory.Delete(scratch, recursive: true);
    }

    [Test]
    public async Task A_backing_file_named_by_absolute_path_outside_the_root_is_refused_by_name()
    {
        await CreateNamingAsync(InRoot("a.qcow2"), "/etc/passwd", Qcow2BackingFormat.Raw);

        var open = async () => await Qcow2Image.OpenAsync(InRoot("a.qcow2"), Confined);

        (await open.Should().ThrowAsync<Qcow2ChainException>().WithMessage("*backing file '/etc/passwd'*outside the allowed folders*"))
            .Which.FilePath.Should().Be("/etc/passwd");
    }

    [Test]
    public async Task A_backing_file_reached_through_dot_dot_is_refused()
    {
        await CreateAsync(Path.Combine(_directory.FullName, "other-tenant.qcow2"));
        await CreateAsync(InRoot("a.qcow2"), "../other-tenant.qcow2");

        var open = async () => await Qcow2Image.OpenAsync(InRoot("a.qcow2"), Confined);

        await open.Should().ThrowAsync<Qcow2ChainException>().WithMessage("*'../other-tenant.qcow2'*outside the allowed folders*");
        await using var unconfined = await Qcow2Image.OpenAsync(InRoot("a.qcow2"), new Qcow2OpenOptions { ReadOnly = true });
    }

    [Test]
    public async Task A_backing_file_reached_through_a_symbolic_link_is_refused()
    {
        await CreateAsync(Path.Combine(_directory.FullName, "other-tenant.qcow2"));
        File.CreateSymbolicLink(InRoot("link.qcow2"), Path.Combine(_directory.FullName, "other-tenant.qcow2"));
        await CreateAsync(InRoot("a.qcow2"), "link.qcow2");

        var open = async () => await Qcow2Image.OpenAsync(InRoot("a.qcow2"), Confined);

        await open.Should().ThrowAsync<Qcow2ChainException>().WithMessage($"*'link.qcow2'*resolves to '{Path.Combine(_directory.FullName, "other-tenant.qcow2")}'*");
    }

    [Test]
    public async Task Backing_files_in_an_extra_allowed_folder_are_opened()
    {
        string shared = Directory.CreateDirectory(Path.Combine(_directory.FullName, "shared")).FullName;
        await CreateAsync(Path.Combine(shared, "base.qcow2"));
        await CreateAsync(InRoot("a.qcow2"), Path.Combine(shared, "base.qcow2"));

        await using var image = await Qcow2Image.OpenAsync(InRoot("a.qcow2"), new Qcow2OpenOptions { ChainPolicy = Qcow2ChainPolicy.Confined([_root, shared]) });

        image.BackingFile.Should().Be(Path.Combine(shared, "base.qcow2"));
    }

    [Test]
    public async Task An_image_that_is_its_own_backing_file_is_refused_as_a_loop()
    {
        await CreateNamingAsync(InRoot("next.qcow2"), "self.qcow2");
        File.Move(InRoot("next.qcow2"), InRoot("self.qcow2"));

        var open = async () => await Qcow2Image.OpenAsync(InRoot("self.qcow2"), Confined);

        await open.Should().ThrowAsync<Qcow2ChainException>().WithMessage("*backing file 'self.qcow2'*already in the chain*loop*");
        var unconfined = async () => await Qcow2Image.OpenAsync(InRoot("self.qcow2"));
        await unconfined.Should().ThrowAsync<Qcow2ChainException>().WithMessage("*loop*");
    }

    [Test]
    public async Task Two_images_backing_each_other_are_refused_as_a_loop()
    {
        await CreateNamingAsync(InRoot("a.qcow2"), "b.qcow2");
        await CreateNamingAsync(InRoot("b.qcow2"), "a.qcow2");

        var open = async () => await Qcow2Image.OpenAsync(InRoot("a.qcow2"), Confined);

        await open.Should().ThrowAsync<Qcow2ChainException>().WithMessage("*backing file 'a.qcow2' of '*b.qcow2'*loop*");
    }

    [Test]
    [CancelAfter(10_000)]
    public async Task A_fifo_as_backing_file_is_refused_within_a_second()
    {
        ExternalTool.Require("mkfifo");
        await CreateNamingAsync(InRoot("a.qcow2"), "pipe");
        await ExternalTool.RunOkAsync("mkfifo", InRoot("pipe"));
        var clock = Stopwatch.StartNew();

        var open = async () => await Qcow2Image.OpenAsync(InRoot("a.qcow2"), Confined);
        var unconfined = async () => await Qcow2Image.OpenAsync(InRoot("a.qcow2"));

        await open.Should().ThrowAsync<Qcow2ChainException>().WithMessage("*backing file 'pipe'*a FIFO*");
        await unconfined.Should().ThrowAsync<Qcow2ChainException>().WithMessage("*a FIFO*");
        clock.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(1));
    }

    [Test]
    [CancelAfter(10_000)]
    public async Task A_file_swapped_for_a_fifo_after_its_check_opens_without_waiting_and_is_refused()
    {
        ExternalTool.Require("mkfifo");
        await CreateAsync(InRoot("a.qcow2"));
        var guard = new ChainGuard(Qcow2ChainPolicy.Confined([_root]));
        var admitted = guard.Admit(InRoot("a.qcow2"), "a.qcow2", ChainRole.Image, null, 0);
        File.Delete(InRoot("a.qcow2"));
        await ExternalTool.RunOkAsync("mkfifo", InRoot("a.qcow2"));
        var clock = Stopwatch.StartNew();

        // The image locks are taken first, through their own handle: neither open may wait for a writer.
        var open = Task.Run(() => HostFile.Open(InRoot("a.qcow2"), writable: false, lockImage: true));
        (await Task.WhenAny(open, Task.Delay(TimeSpan.FromSeconds(5)))).Should().BeSameAs(open, "opening a FIFO must not wait for a writer");
        using var file = await open;
        var confirm = () => ChainGuard.Confirm(file, admitted);

        confirm.Should().Throw<Qcow2ChainException>().WithMessage("*changed while it was being opened*");
        clock.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(1));
    }

    [Test]
    public async Task Sixteen_backing_files_are_opened_and_seventeen_refused()
    {
        await CreateAsync(InRoot("d0.qcow2"));
        for (int i = 1; i <= 16; i++)
        {
            await CreateAsync(InRoot($"d{i}.qcow2"), $"d{i - 1}.qcow2");
        }

        await CreateNamingAsync(InRoot("d17.qcow2"), "d16.qcow2");

        await using (var sixteen = await Qcow2Image.OpenAsync(InRoot("d16.qcow2"), Confined))
        {
            sixteen.BackingFile.Should().Be("d15.qcow2");
        }

        var open = async () => await Qcow2Image.OpenAsync(InRoot("d17.qcow2"), Confined);
        await open.Should().ThrowAsync<Qcow2ChainException>().WithMessage("*backing file 'd0.qcow2'*deeper than 16 files*");
        var shallower = async () => await Qcow2Image.OpenAsync(InRoot("d16.qcow2"), new Qcow2OpenOptions { ReadOnly = true, ChainPolicy = Qcow2ChainPolicy.Unconfined with { MaxDepth = 15 } });
        await shallower.Should().ThrowAsync<Qcow2ChainException>();
    }

    [Test]
    public async Task An_external_data_file_outside_the_root_is_refused()
    {
        await CreateAsync(Path.Combine(_directory.FullName, "data.raw"));
        await CreateAsync(InRoot("a.qcow2"));
        await NameDataFileAsync(InRoot("a.qcow2"), "../data.raw");

        var open = async () => await Qcow2Image.OpenAsync(InRoot("a.qcow2"), Confined);

        await open.Should().ThrowAsync<Qcow2ChainException>().WithMessage("*external data file '../data.raw'*outside the allowed folders*");
        await using var unconfined = await Qcow2Image.OpenAsync(InRoot("a.qcow2"), new Qcow2OpenOptions { ReadOnly = true });
        unconfined.ExternalDataFile.Should().Be("../data.raw");
    }

    [Test]
    public async Task A_top_image_that_is_not_a_regular_file_is_refused_before_it_is_opened()
    {
        ExternalTool.Require("mkfifo");
        await ExternalTool.RunOkAsync("mkfifo", InRoot("pipe"));

        var admit = () => Qcow2ChainPolicy.Confined([_root]).Admit(InRoot("pipe"));
        var directory = () => Qcow2ChainPolicy.Unconfined.Admit(_root);

        admit.Should().Throw<Qcow2ChainException>().WithMessage("*a FIFO*");
        directory.Should().Throw<Qcow2ChainException>().WithMessage("*a directory*");
    }

    private static async Task NameDataFileAsync(string path, string dataFile)
    {
        byte[] cluster0 = new byte[65536];
        await using (var stream = File.OpenRead(path))
        {
            await stream.ReadExactlyAsync(cluster0);
        }

        var header = Qcow2Header.Parse(cluster0, new FileInfo(path).Length);
        header = header.WithExtension(HeaderExtension.ExternalDataFile, Encoding.UTF8.GetBytes(dataFile)) with
        {
            Incompatible = header.Incompatible | IncompatibleFeatures.ExternalDataFile,
        };
        header.WriteTo(cluster0);
        await using var write = new FileStream(path, FileMode.Open, FileAccess.Write);
        await write.WriteAsync(cluster0);
    }
}
