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
    public void Chap_one_way_exchange_verifies_the_md5_response()
    {
        var registry = Registry(out var target);
        target.Chap = new ChapCredentials("user", "secret-secret");
        var login = new LoginNegotiation(registry);

        var method = login.Process(Request(0, 1, ("InitiatorName", Initiator), ("TargetName", TargetName), ("AuthMethod", "CHAP")));
        var challenge = login.Process(Request(0, 1, transit: false, ("CHAP_A", "7,5")));
        var keys = challenge.Keys.ToDictionary(k => k.Key, k => k.Value);
        byte id = byte.Parse(keys["CHAP_I"], System.Globalization.CultureInfo.InvariantCulture);
        var response = ChapAuthenticator.ComputeResponse(id, "secret-secret", Convert.FromHexString(keys["CHAP_C"][2..]));
        var done = login.Process(Request(0, 1, ("CHAP_N", "user"), ("CHAP_R", "0x" + Convert.ToHexString(response))));

        method.Transit.Should().BeFalse("authentication has not happened yet");
        keys["CHAP_A"].Should().Be("5");
        Convert.FromHexString(keys["CHAP_C"][2..]).Should().HaveCount(16);
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
        var response = ChapAuthenticator.ComputeResponse(id, "secret-secret", Convert.FromHexString(challenge["CHAP_C"][2..]));

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
        var response = ChapAuthenticator.ComputeResponse(id, "secret-secret", ours);

        var answer = chap.Process(new Dictionary<string, string>
        {
            ["CHAP_N"] = "user",
            ["CHAP_R"] = "0x" + Convert.ToHexString(response),
            ["CHAP_I"] = "1",
            ["CHAP_C"] = challenge["CHAP_C"],
        });

        answer.Should().BeNull();
    }

    [Test]
    public void Chap_md5_matches_rfc_1994_by_construction()
    {
        // MD5(identifier || secret || challenge), checked against an independent concatenation.
        byte[] challenge = [0xDE, 0xAD, 0xBE, 0xEF];
        byte[] input = [0x2A, .. Encoding.UTF8.GetBytes("s3cret"), .. challenge];
#pragma warning disable CA5351
        var expected = System.Security.Cryptography.MD5.HashData(input);
#pragma warning restore CA5351

        ChapAuthenticator.ComputeResponse(0x2A, "s3cret", challenge).Should().Equal(expected);
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
