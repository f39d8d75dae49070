using System.Text;
using Targetd.Iscsi.Wire;

namespace Targetd.Tests.Iscsi;

public sealed class WireTests
{
    [Test]
    public void BasicHeaderSegment_reads_every_common_field_big_endian()
    {
        var bytes = new byte[48];
        bytes[0] = 0x41; // immediate SCSI Command
        bytes[1] = 0xC1;
        bytes[4] = 2; // two words of AHS
        bytes[5] = 0x01;
        bytes[6] = 0x02;
        bytes[7] = 0x03;
        for (int i = 8; i < 48; i++)
        {
            bytes[i] = (byte)i;
        }

        var bhs = new BasicHeaderSegment(bytes);

        bhs.Opcode.Should().Be(IscsiOpcode.ScsiCommand);
        bhs.IsImmediate.Should().BeTrue();
        bhs.IsFinal.Should().BeTrue();
        bhs.Flags.Should().Be(0xC1);
        bhs.TotalAhsLengthWords.Should().Be(2);
        bhs.DataSegmentLength.Should().Be(0x010203);
        bhs.Lun.Should().Be(0x08090A0B0C0D0E0FUL);
        bhs.InitiatorTaskTag.Should().Be(0x10111213u);
        bhs.TargetTransferTag.Should().Be(0x14151617u);
        bhs.CmdSN.Should().Be(0x18191A1Bu);
        bhs.ExpStatSN.Should().Be(0x1C1D1E1Fu);
    }

    [Test]
    public void BasicHeaderSegment_rejects_a_short_span()
    {
        Action act = () => _ = new BasicHeaderSegment(new byte[47]);

        act.Should().Throw<ArgumentException>();
    }

    // RFC 3720 Appendix B.4 test vectors, as the digest bytes travel on the wire.
    [TestCase(0x00, false, new byte[] { 0xAA, 0x36, 0x91, 0x8A })]
    [TestCase(0xFF, false, new byte[] { 0x43, 0xAB, 0xA8, 0x62 })]
    [TestCase(0x00, true, new byte[] { 0x4E, 0x79, 0xDD, 0x46 })]
    public void Crc32C_matches_the_rfc_3720_vectors(int fill, bool incrementing, byte[] expected)
    {
        var data = incrementing ? Enumerable.Range(0, 32).Select(i => (byte)i).ToArray() : Enumerable.Repeat((byte)fill, 32).ToArray();

        BitConverter.GetBytes(Crc32C.Compute(data)).Should().Equal(expected);
    }

    [Test]
    public void Crc32C_hardware_and_table_forms_agree_on_every_length()
    {
        var random = new Random(7);
        var data = new byte[1000];
        random.NextBytes(data);
        for (int length = 0; length < data.Length; length += 37)
        {
            uint table = ~Crc32C.AppendPortable(0xFFFFFFFF, data.AsSpan(0, length));
            Crc32C.Compute(data.AsSpan(0, length)).Should().Be(table, $"length {length}");
            Crc32C.Compute(data.AsSpan(0, length / 2), data.AsSpan(length / 2, length - (length / 2))).Should().Be(table);
        }
    }

    [TestCase(1u, 2u, true)]
    [TestCase(2u, 1u, false)]
    [TestCase(0xFFFFFFFFu, 0u, true)]
    [TestCase(0u, 0xFFFFFFFFu, false)]
    [TestCase(0u, 0x7FFFFFFFu, true)]
    [TestCase(0u, 0x80000000u, false)]
    [TestCase(5u, 5u, false)]
    public void SerialNumber_compares_as_rfc_1982_defines(uint s1, uint s2, bool less)
    {
        SerialNumber.LessThan(s1, s2).Should().Be(less);
        SerialNumber.GreaterThan(s2, s1).Should().Be(less);
    }

    [Test]
    public void SerialNumber_window_wraps_around_zero()
    {
        SerialNumber.InWindow(2, 0xFFFFFFF0, 10).Should().BeTrue();
        SerialNumber.InWindow(0xFFFFFFF0, 0xFFFFFFF0, 10).Should().BeTrue();
        SerialNumber.InWindow(11, 0xFFFFFFF0, 10).Should().BeFalse();
        SerialNumber.InWindow(0xFFFFFFEF, 0xFFFFFFF0, 10).Should().BeFalse();
        SerialNumber.Max(0xFFFFFFFF, 3).Should().Be(3);
    }

    [Test]
    public void TextParameters_round_trip_and_skip_padding()
    {
        byte[] encoded = TextParameters.Encode([new("InitiatorName", "iqn.2024-01.x:y"), new("MaxBurstLength", "262144")]);
        Encoding.ASCII.GetString(encoded).Should().Be("InitiatorName=iqn.2024-01.x:y\0MaxBurstLength=262144\0");

        TextParameters.TryParse([.. encoded, 0, 0], out var pairs).Should().BeTrue();

        pairs.Should().Equal(new KeyValuePair<string, string>("InitiatorName", "iqn.2024-01.x:y"), new KeyValuePair<string, string>("MaxBurstLength", "262144"));
    }

    [TestCase("NoEquals\0")]
    [TestCase("=value\0")]
    [TestCase("bad key=1\0")]
    [TestCase("A=1\0A=2\0")]
    public void TextParameters_refuse_malformed_text(string text)
    {
        TextParameters.TryParse(Encoding.ASCII.GetBytes(text), out _).Should().BeFalse();
    }

    [Test]
    public void TextParameters_bound_key_length_value_length_and_pair_count()
    {
        TextParameters.TryParse(Encoding.ASCII.GetBytes(new string('K', 64) + "=1\0"), out _).Should().BeFalse();
        TextParameters.TryParse(Encoding.ASCII.GetBytes("K=" + new string('v', TextParameters.MaxValueLength + 1)), out _).Should().BeFalse();
        var many = string.Concat(Enumerable.Range(0, TextParameters.MaxPairs + 1).Select(i => $"K{i}=1\0"));
        TextParameters.TryParse(Encoding.ASCII.GetBytes(many), out _).Should().BeFalse();
    }

    [Test]
    public void TextParameters_accept_a_last_pair_without_its_terminator()
    {
        TextParameters.TryParse(Encoding.ASCII.GetBytes("A=1\0B=2"), out var pairs).Should().BeTrue();

        pairs.Should().HaveCount(2);
        pairs[1].Value.Should().Be("2");
    }
}
