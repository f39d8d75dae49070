using Targetd.Host.Http;

namespace Targetd.Tests.Host;

/// <summary>targetd.yaml files found by fuzzing (Targetd.Fuzz, harness config): refused with a message, never a crash.</summary>
public sealed class TargetdConfigFuzzedTests
{
    private DirectoryInfo _folder = null!;

    [SetUp]
    public void SetUp() => _folder = Directory.CreateTempSubdirectory("targetd-fuzzed-config-");

    [TearDown]
    public void TearDown() => _folder.Delete(recursive: true);

    // A flow mapping used as a key: the key was cast to a scalar.
    [TestCase("e3v6Y32mKiBXTS8KIF9N0Cl9")]
    // Unterminated flow mappings whose scalar YamlDotNet's scanner fails on with InvalidOperationException.
    [TestCase("IyB0YWUuCnVzZXI6IHtkbWluCnBhc3N3b3I6IHtvb29vb29vb29vb29vb29vb29vb29vbHM6CiAgZXNzOiAxMjcuMQpQb3J0OiAxODcwMApzZTogf24KbG92ZWw6IG9mZikuCm1zczogbmUpCmF0OiAKc3NsOiFmYQ==")]
    public void A_malformed_file_is_refused_with_an_argument_exception(string base64)
    {
        string path = Path.Combine(_folder.FullName, "targetd.yaml");
        File.WriteAllBytes(path, Convert.FromBase64String(base64));

        var load = () => TargetdConfigLoader.Load(path, null);

        load.Should().Throw<ArgumentException>().Which.Should().NotBeOfType<ArgumentOutOfRangeException>();
    }

    [Test]
    public void A_mapping_as_a_key_is_named_in_the_refusal()
    {
        string path = Path.Combine(_folder.FullName, "targetd.yaml");
        File.WriteAllText(path, "? {a: b}\n: c\npassword: secret\n");

        var load = () => TargetdConfigLoader.Load(path, null);

        load.Should().Throw<ArgumentException>().WithMessage("a key at line 1 is not a plain string");
    }
}
