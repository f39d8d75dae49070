using Targetd.Storage.Interop;

namespace Targetd.Tests.Storage.FileSystems;

/// <summary>Removing trees that clients write: symbolic links are removed, never followed, also when swapped in mid-walk.</summary>
public sealed class SafeTreeRemoverTests
{
    private DirectoryInfo _folder = null!;
    private string _tree = null!;
    private string _outside = null!;

    [SetUp]
    public void SetUp()
    {
        _folder = Directory.CreateTempSubdirectory("targetd-remover-");
        _tree = Directory.CreateDirectory(Path.Combine(_folder.FullName, "tree")).FullName;
        _outside = Directory.CreateDirectory(Path.Combine(_folder.FullName, "outside")).FullName;
        File.WriteAllText(Path.Combine(_outside, "kept.txt"), "kept");
        Directory.CreateDirectory(Path.Combine(_outside, "sub"));
        File.WriteAllText(Path.Combine(_outside, "sub", "kept2.txt"), "kept");
    }

    [TearDown]
    public void TearDown() => _folder.Delete(recursive: true);

    private void OutsideShouldBeIntact()
    {
        File.ReadAllText(Path.Combine(_outside, "kept.txt")).Should().Be("kept");
        File.ReadAllText(Path.Combine(_outside, "sub", "kept2.txt")).Should().Be("kept");
    }

    [Test]
    public void Links_to_folders_and_files_outside_are_removed_and_not_followed()
    {
        Directory.CreateDirectory(Path.Combine(_tree, "a", "b"));
        File.WriteAllText(Path.Combine(_tree, "a", "b", "file"), "x");
        Directory.CreateSymbolicLink(Path.Combine(_tree, "a", "to-folder"), _outside);
        Directory.CreateSymbolicLink(Path.Combine(_tree, "a", "b", "to-sub"), Path.Combine(_outside, "sub"));
        File.CreateSymbolicLink(Path.Combine(_tree, "to-file"), Path.Combine(_outside, "kept.txt"));
        File.CreateSymbolicLink(Path.Combine(_tree, "dangling"), Path.Combine(_folder.FullName, "nowhere"));

        SafeTreeRemover.Remove(_tree);

        Directory.Exists(_tree).Should().BeFalse();
        OutsideShouldBeIntact();
    }

    [Test]
    public void A_link_swapped_in_for_a_folder_just_before_it_is_entered_is_removed_itself()
    {
        Directory.CreateDirectory(Path.Combine(_tree, "a", "b", "c"));
        File.WriteAllText(Path.Combine(_tree, "a", "b", "c", "file"), "x");
        var entered = new List<string>();

        SafeTreeRemover.Remove(_tree, relative =>
        {
            entered.Add(relative);
            if (relative == "tree/a/b")
            {
                string b = Path.Combine(_tree, "a", "b");
                Directory.Move(b, Path.Combine(_folder.FullName, "b-aside"));
                Directory.CreateSymbolicLink(b, _outside);
            }
        });

        Directory.Exists(_tree).Should().BeFalse();
        entered.Should().Equal("tree", "tree/a", "tree/a/b");
        OutsideShouldBeIntact();
    }

    [Test]
    public void A_folder_moved_outside_mid_walk_stops_the_walk_before_it_leaves_the_moved_folder()
    {
        Directory.CreateDirectory(Path.Combine(_tree, "a", "b", "c"));
        File.WriteAllText(Path.Combine(_tree, "a", "b", "c", "file"), "x");
        string moved = Path.Combine(_outside, "moved");

        var act = () => SafeTreeRemover.Remove(_tree, relative =>
        {
            if (relative == "tree/a/b/c")
            {
                Directory.Move(Path.Combine(_tree, "a", "b"), moved);
            }
        });

        act.Should().Throw<IOException>().WithMessage("*was moved out of*");
        OutsideShouldBeIntact();
        Directory.Exists(moved).Should().BeTrue("the walk climbs no further than the folder it came down from");
        Directory.Exists(Path.Combine(_tree, "a")).Should().BeTrue();
    }

    [Test]
    public void A_link_at_the_top_is_removed_and_its_target_kept()
    {
        string link = Path.Combine(_folder.FullName, "link");
        Directory.CreateSymbolicLink(link, _outside);

        SafeTreeRemover.Remove(link);
        SafeTreeRemover.Remove(Path.Combine(_folder.FullName, "missing"));

        File.Exists(link).Should().BeFalse();
        Directory.Exists(link).Should().BeFalse();
        OutsideShouldBeIntact();
    }

    [Test]
    public void Deep_and_wide_trees_are_removed()
    {
        string deep = _tree;
        for (int i = 0; i < 1500; i++)
        {
            deep = Path.Combine(deep, "d");
        }

        Directory.CreateDirectory(deep);
        File.WriteAllText(Path.Combine(deep, "bottom"), "x");
        Directory.CreateSymbolicLink(Path.Combine(deep, "up"), _outside);
        string wide = Directory.CreateDirectory(Path.Combine(_tree, "wide")).FullName;
        for (int i = 0; i < 3000; i++)
        {
            File.WriteAllText(Path.Combine(wide, $"f{i}"), string.Empty);
        }

        for (int i = 0; i < 300; i++)
        {
            Directory.CreateDirectory(Path.Combine(wide, $"d{i}", "e"));
        }

        SafeTreeRemover.Remove(_tree);

        Directory.Exists(_tree).Should().BeFalse();
        OutsideShouldBeIntact();
    }

    [Test]
    public void Files_and_folders_without_write_permission_are_removed()
    {
        string locked = Directory.CreateDirectory(Path.Combine(_tree, "locked", "inner")).FullName;
        File.WriteAllText(Path.Combine(locked, "read-only"), "x");
        File.SetUnixFileMode(Path.Combine(locked, "read-only"), UnixFileMode.UserRead);
        File.SetUnixFileMode(locked, UnixFileMode.UserRead | UnixFileMode.UserExecute);
        string closed = Directory.CreateDirectory(Path.Combine(_tree, "closed")).FullName;
        File.WriteAllText(Path.Combine(closed, "hidden"), "x");
        File.SetUnixFileMode(closed, UnixFileMode.None);

        SafeTreeRemover.Remove(_tree);

        Directory.Exists(_tree).Should().BeFalse();
    }
}
