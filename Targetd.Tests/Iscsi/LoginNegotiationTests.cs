using System.Text;
using Targetd.Iscsi.Server;
using Targetd.Iscsi.Targets;

namespace Targetd.Tests.Iscsi;

public sealed class LoginNegotiationTests
{
    private const string Initiator = "iqn.2024-01.net.targetd.test:initiator";
    private const string TargetName = "iqn.2024-01.net.targetd.test:disk";

    [TestCase("HeaderDigest", "CRC32C,None", "CRC32C")]
    [TestCase("HeaderDigest", "None,CRC32C", "None")]
    [TestCase("DataDigest", "MD5", "Reject")]
    [TestCase("MaxConnections", "8", "1")]
    [TestCase("InitialR2T", "No", "No")]
    [TestCase("InitialR2T", "Yes", "Yes")]
    [TestCase("ImmediateData", "No", "No")]
    [TestCase("ImmediateData", "Maybe", "Reject")]
    [TestCase("MaxBurstLength", "16777215", "1048576")]
    [TestCase("MaxBurstLength", "4096", "4096")]
    [TestCase("MaxBurstLength", "100", "Reject")]
    [TestCase("FirstBurstLength", "0x1000", "4096")]
    [TestCase("DefaultTime2Wait", "5", "5")]
    [TestCase("DefaultTime2Retain", "20", "0")]
    [TestCase("MaxOutstandingR2T", "1", "1")]
    [TestCase("DataPDUInOrder", "No", "Yes")]
    [TestCase("DataSequenceInOrder", "No", "Yes")]
    [TestCase("ErrorRecoveryLevel", "1", "0")]
    [TestCase("X-vendor.Thing", "1", "NotUnderstood")]
    public void Each_key_follows_its_rule(string key, string offered, string answer)
    {
        KeyNegotiation.Negotiate(key, offered, new SessionParameters()).Should().Be(answer);
    }

    [Test]
    public void Declarative_max_recv_data_segment_length_needs_no_answer()
    {
        var parameters = new SessionParameters();

        KeyNegotiation.Negotiate("MaxRecvDataSegmentLength", "131072", parameters).Should().BeNull();

        parameters.InitiatorMaxRecvDataSegmentLength.Should().Be(131072);
    }

    [Test]
    public void First_burst_never_exceeds_max_burst()
    {
        var parameters = new SessionParameters();
        KeyNegotiation.Negotiate("FirstBurstLength", "262144", parameters);
        KeyNegotiation.Negotiate("MaxBurstLength", "8192", parameters);

        KeyNegotiation.Complete(parameters);

        parameters.FirstBurstLength.Should().Be(8192);
    }

    [Test]
    public void Open_target_logs_in_through_both_stages()
    {
        var login = new LoginNegotiation(Registry(out _));

        var security = login.Process(Request(0, 1, ("InitiatorName", Initiator), ("TargetName", TargetName), ("AuthMethod", "CHAP,None")));
        var operational = login.Process(Request(1, 3, ("ImmediateData", "Yes"), ("Unknown", "x")));

        security.Status.Should().Be(LoginStatus.Success);
        security.Transit.Should().BeTrue();
        security.Keys.Should().Contain(new KeyValuePair<string, string>("AuthMethod", "None"));
        security.Keys.Should().Contain(new KeyValuePair<string, string>("TargetPortalGroupTag", "1"));
        operational.IsFinal.Should().BeTrue();
        operational.Keys.Should().Contain(new KeyValuePair<string, string>("Unknown", "NotUnderstood"));
        operational.Keys.Should().Contain(new KeyValuePair<string, string>("MaxRecvDataSegmentLength", "262144"));
        login.Target!.Name.Should().Be(TargetName);
    }

    [Test]
    public void Missing_initiator_or_target_name_is_a_missing_parameter()
    {
        new LoginNegotiation(Registry(out _)).Process(Request(0, 1, ("TargetName", TargetName))).Status
            .Should().Be(LoginStatus.MissingParameter);
        new LoginNegotiation(Registry(out _)).Process(Request(0, 1, ("InitiatorName", Initiator))).Status
            .Should().Be(LoginStatus.MissingParameter);
    }

    [Test]
    public void Required_chap_cannot_be_skipped_by_starting_in_operational_stage()
    {
        var registry = Registry(out var target);
        target.Chap = new ChapCredentials("user", "secret-secret");

        var result = new LoginNegotiation(registry).Process(Request(1, 3, ("InitiatorName", Initiator), ("TargetName", TargetName)));

        result.Status.Should().Be(LoginStatus.AuthenticationFailure);
    }

    [Test]
    public void Chap_one_way_exchange_verifies_the_response_with_the_algorithm_the_initiator_prefers()
    {
        var registry = Registry(out var target);
        target.Chap = new ChapCredentials("user", "secret-secret");
        var login = new LoginNegotiation(registry);

        var method = login.Process(Request(0, 1, ("InitiatorName", Initiator), ("TargetName", TargetName), ("AuthMethod", "CHAP")));
        var challenge = login.Process(Request(0, 1, transit: false, ("CHAP_A", "7,5")));
        var keys = challenge.Keys.ToDictionary(k => k.Key, k => k.Value);
        byte id = byte.Parse(keys["CHAP_I"], System.Globalization.CultureInfo.InvariantCulture);
        var response = ChapAuthenticator.ComputeResponse(ChapAlgorithm.Sha256, id, "secret-secret", Convert.FromHexString(keys["CHAP_C"][2..]));
        var done = login.Process(Request(0, 1, ("CHAP_N", "user"), ("CHAP_R", "0x" + Convert.ToHexString(response))));

        method.Transit.Should().BeFalse("authentication has not happened yet");
        keys["CHAP_A"].Should().Be("7");
        Convert.FromHexString(keys["CHAP_C"][2..]).Should().HaveCount(32);
        done.Status.Should().Be(LoginStatus.Success);
        done.Transit.Should().BeTrue();
    }

    [Test]
    public void Chap_response_in_base64_is_accepted_and_a_wrong_name_is_refused()
    {
        ChapAuthenticator.DecodeBinary("0bAQID").Should().Equal(1, 2, 3);
        ChapAuthenticator.DecodeBinary("0x10203").Should().Equal(1, 2, 3);
        ChapAuthenticator.DecodeBinary("0xZZ").Should().BeNull();
        ChapAuthenticator.DecodeBinary("123").Should().BeNull();

        var chap = new ChapAuthenticator(new ChapCredentials("user", "secret-secret"));
        var challenge = chap.Process(new Dictionary<string, string> { ["CHAP_A"] = "5" })!.ToDictionary(k => k.Key, k => k.Value);
        byte id = byte.Parse(challenge["CHAP_I"], System.Globalization.CultureInfo.InvariantCulture);
        var response = ChapAuthenticator.ComputeResponse(ChapAlgorithm.Md5, id, "secret-secret", Convert.FromHexString(challenge["CHAP_C"][2..]));

        chap.Process(new Dictionary<string, string> { ["CHAP_N"] = "mallory", ["CHAP_R"] = "0b" + Convert.ToBase64String(response) })
            .Should().BeNull();
        chap.IsAuthenticated.Should().BeFalse();
    }

    [Test]
    public void Mutual_chap_refuses_a_reflected_challenge()
    {
        var chap = new ChapAuthenticator(new ChapCredentials("user", "secret-secret", "target", "target-secret"));
        var challenge = chap.Process(new Dictionary<string, string> { ["CHAP_A"] = "5" })!.ToDictionary(k => k.Key, k => k.Value);
        byte id = byte.Parse(challenge["CHAP_I"], System.Globalization.CultureInfo.InvariantCulture);
        var ours = Convert.FromHexString(challenge["CHAP_C"][2..]);
        var response = ChapAuthenticator.ComputeResponse(ChapAlgorithm.Md5, id, "secret-secret", ours);

        var answer = chap.Process(new Dictionary<string, string>
        {
            ["CHAP_N"] = "user",
            ["CHAP_R"] = "0x" + Convert.ToHexString(response),
            ["CHAP_I"] = "1",
            ["CHAP_C"] = challenge["CHAP_C"],
        });

        answer.Should().BeNull();
    }

    [TestCase(5, "1af9cdcde5df00fff12aa692e87fb45d")]
    [TestCase(6, "75a9295ed70a2d4df47ebece4071241ad240b6f4")]
    [TestCase(7, "dcf19d94e986a2dc509f2821dfd7eb10e6c0a3e64d5903aadf75bc0f0595aa59")]
    [TestCase(8, "ce2c31fbc260f83ccf3566bb613910b27451ed855b1fe66e547bdbe3e9f5c5da")]
    public void Chap_response_is_the_digest_of_identifier_secret_and_challenge(int chapA, string expected)
    {
        var algorithm = (ChapAlgorithm)chapA;
        // RFC 1994 §4.1: digest(identifier || secret || challenge); the expected values come from Python's hashlib.
        Assume.That(ChapDigest.IsSupported(algorithm), "this platform's cryptography lacks the digest");

        ChapAuthenticator.ComputeResponse(algorithm, 0x2A, "s3cret", [0xDE, 0xAD, 0xBE, 0xEF]).Should().Equal(Convert.FromHexString(expected));
    }

    [TestCase("7,5", 7)]
    [TestCase("5,7", 5)]
    [TestCase("99,x,6", 6)]
    [TestCase("8", 8)]
    public void Chap_answers_with_the_first_algorithm_of_the_initiator_list_it_supports(string offered, int chapA)
    {
        var chosen = (ChapAlgorithm)chapA;
        Assume.That(ChapDigest.IsSupported(chosen), "this platform's cryptography lacks the digest");
        var chap = new ChapAuthenticator(new ChapCredentials("user", "secret-secret"));

        var keys = chap.Process(new Dictionary<string, string> { ["CHAP_A"] = offered })!.ToDictionary(k => k.Key, k => k.Value);

        keys["CHAP_A"].Should().Be(((int)chosen).ToString(System.Globalization.CultureInfo.InvariantCulture));
        Convert.FromHexString(keys["CHAP_C"][2..]).Should().HaveCount(ChapDigest.Length(chosen), "the challenge is as long as the digest");
    }

    [TestCase("")]
    [TestCase("1,2,3")]
    [TestCase("0x05")]
    public void Chap_with_no_algorithm_in_common_fails(string offered)
    {
        var chap = new ChapAuthenticator(new ChapCredentials("user", "secret-secret"));

        chap.Process(new Dictionary<string, string> { ["CHAP_A"] = offered }).Should().BeNull();
        chap.IsAuthenticated.Should().BeFalse();
    }

    [Test]
    public void A_response_made_with_another_algorithm_than_the_chosen_one_is_refused()
    {
        var chap = new ChapAuthenticator(new ChapCredentials("user", "secret-secret"));
        var challenge = chap.Process(new Dictionary<string, string> { ["CHAP_A"] = "7" })!.ToDictionary(k => k.Key, k => k.Value);
        byte id = byte.Parse(challenge["CHAP_I"], System.Globalization.CultureInfo.InvariantCulture);
        var md5 = ChapAuthenticator.ComputeResponse(ChapAlgorithm.Md5, id, "secret-secret", Convert.FromHexString(challenge["CHAP_C"][2..]));

        chap.Process(new Dictionary<string, string> { ["CHAP_N"] = "user", ["CHAP_R"] = "0x" + Convert.ToHexString(md5) }).Should().BeNull();
        chap.IsAuthenticated.Should().BeFalse();
    }

    [Test]
    public void Target_names_are_validated()
    {
        IscsiName.IsValid("iqn.2024-01.net.targetd:disk1").Should().BeTrue();
        IscsiName.IsValid("eui.0123456789ABCDEF").Should().BeTrue();
        IscsiName.IsValid("naa.52004567BA64678D").Should().BeTrue();
        IscsiName.IsValid("iqn.bad").Should().BeFalse();
        IscsiName.IsValid("disk1").Should().BeFalse();
        IscsiName.IsValid("iqn.2024-01.net.targetd:has space").Should().BeFalse();
        var act = () => new ChapCredentials("u", "same", "t", "same");
        act.Should().Throw<ArgumentException>();
        new ChapCredentials("u", "secret").ToString().Should().NotContain("secret");
    }

    private static IscsiTargetRegistry Registry(out IscsiTarget target)
    {
        var registry = new IscsiTargetRegistry();
        target = new IscsiTarget(TargetName);
        registry.Add(target);
        return registry;
    }

    private static LoginRequest Request(int csg, int nsg, params (string Key, string Value)[] keys) => Request(csg, nsg, true, keys);

    private static LoginRequest Request(int csg, int nsg, bool transit, params (string Key, string Value)[] keys) =>
        new(transit, false, csg, transit ? nsg : 0, 0, 0, 0x800000010001, 0, 1, 0, 1, [.. keys.Select(k => new KeyValuePair<string, string>(k.Key, k.Value))]);
}
