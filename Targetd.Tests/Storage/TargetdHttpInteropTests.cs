using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Newtonsoft.Json.Linq;
using Targetd.Tests.Support;

namespace Targetd.Tests.Storage;

/// <summary>The targetd HTTP envelope on a real loopback Kestrel, with TLS off and on.</summary>
[Category("Interop")]
[NonParallelizable]
public sealed class TargetdHttpInteropTests
{
    private DirectoryInfo _folder = null!;
    private TargetdProcess? _targetd;

    [SetUp]
    public void SetUp() => _folder = Directory.CreateTempSubdirectory("targetd-http-");

    [TearDown]
    public async Task TearDown()
    {
        if (_targetd is not null)
        {
            await _targetd.DisposeAsync();
            _targetd = null;
        }

        _folder.Delete(recursive: true);
    }

    private static HttpClient Client(string scheme, int port, string? password = "secret")
    {
        var handler = new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, _, _, _) => true };
        var client = new HttpClient(handler) { BaseAddress = new Uri($"{scheme}://127.0.0.1:{port}/") };
        if (password is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("admin:" + password)));
        }

        return client;
    }

    private static async Task<JObject> CallAsync(HttpClient client, string method, object? parameters = null, int id = 1)
    {
        var request = new JObject { ["jsonrpc"] = "2.0", ["id"] = id, ["method"] = method };
        if (parameters is not null)
        {
            request["params"] = JObject.FromObject(parameters);
        }

        using var response = await client.PostAsync("targetrpc", new StringContent(request.ToString(), Encoding.UTF8, "application/json"));
        response.StatusCode.Should().Be(HttpStatusCode.OK);
        response.Content.Headers.ContentType!.ToString().Should().Be("application/json", "targetd sends no charset and some clients depend on it");
        return JObject.Parse(await response.Content.ReadAsStringAsync());
    }

    [Test]
    [CancelAfter(60_000)]
    public async Task Plain_http_follows_targetds_envelope_and_auth_rules()
    {
        _targetd = await TargetdProcess.StartAsync(_folder.FullName);
        using var client = Client("http", _targetd.Port);
        using var anonymous = Client("http", _targetd.Port, password: null);
        using var wrong = Client("http", _targetd.Port, password: "guess");

        (await CallAsync(client, "vol_create", new { pool = "images", name = "v1", size = 1 << 20 }))["result"]!.Type.Should().Be(JTokenType.Null);
        ((JArray)(await CallAsync(client, "vol_list", new { pool = "images" }))["result"]!).Should().ContainSingle();
        ((JArray)(await CallAsync(client, "fs_list"))["result"]!).Should().BeEmpty("no fs pool is configured");
        ((int)(await CallAsync(client, "no_such_method"))["error"]!["code"]!).Should().Be(-32601);

        using (var challenge = await anonymous.PostAsync("targetrpc", new StringContent("{}")))
        {
            challenge.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
            challenge.Headers.WwwAuthenticate.ToString().Should().StartWith("Basic");
        }

        // A wrong password is answered slowly, without holding up a right one.
        var watch = Stopwatch.StartNew();
        var guess = wrong.PostAsync("targetrpc", new StringContent("{}"));
        await Task.Delay(100);
        var right = await CallAsync(client, "pool_list");
        var rightTime = watch.Elapsed;
        using (var refused = await guess)
        {
            refused.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
            refused.Headers.WwwAuthenticate.Should().NotBeEmpty();
        }

        watch.Elapsed.Should().BeGreaterThan(TimeSpan.FromSeconds(1.5));
        rightTime.Should().BeLessThan(TimeSpan.FromSeconds(1.5));
        ((JArray)right["result"]!).Should().ContainSingle();

        // The status comes before the body is sent, as a server that refuses it must answer.
        using (var raw = new System.Net.Sockets.TcpClient())
        {
            await raw.ConnectAsync(IPAddress.Loopback, _targetd.Port);
            var stream = raw.GetStream();
            string head = "POST /targetrpc HTTP/1.1\r\nHost: localhost\r\nAuthorization: Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("admin:secret"))
                + "\r\nContent-Length: 204800\r\n\r\n";
            await stream.WriteAsync(Encoding.ASCII.GetBytes(head));
            var status = new byte[12];
            await stream.ReadExactlyAsync(status);
            Encoding.ASCII.GetString(status).Should().Be("HTTP/1.1 413");
        }

        using (var elsewhere = await client.PostAsync("other", new StringContent("{}")))
        {
            elsewhere.StatusCode.Should().Be(HttpStatusCode.NotFound);
        }

        using (var get = await client.GetAsync("targetrpc"))
        {
            get.StatusCode.Should().Be(HttpStatusCode.NotImplemented);
        }

        using var garbage = await client.PostAsync("targetrpc", new ByteArrayContent([0xff, 0xfe, 0x00]));
        ((int)JObject.Parse(await garbage.Content.ReadAsStringAsync())["error"]!["code"]!).Should().Be(-32700);
        _targetd.Log.Should().NotContain("secret", "the password is never logged");
    }

    [Test]
    [CancelAfter(60_000)]
    public async Task Tls_serves_the_same_api_and_refuses_a_world_readable_key()
    {
        string cert = Path.Combine(_folder.FullName, "cert.pem");
        string key = Path.Combine(_folder.FullName, "key.pem");
        using (var rsa = RSA.Create(2048))
        {
            var request = new CertificateRequest("CN=localhost", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
            await File.WriteAllTextAsync(cert, certificate.ExportCertificatePem());
            await File.WriteAllTextAsync(key, rsa.ExportPkcs8PrivateKeyPem());
        }

        File.SetUnixFileMode(key, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead);
        var refused = async () => await TargetdProcess.StartAsync(_folder.FullName, $"ssl: true\nssl_cert: {cert}\nssl_key: {key}");
        (await refused.Should().ThrowAsync<InvalidOperationException>()).Which.Message.Should().Contain("ssl_key");

        File.SetUnixFileMode(key, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        _targetd = await TargetdProcess.StartAsync(_folder.FullName, $"ssl: true\nssl_cert: {cert}\nssl_key: {key}");
        using var client = Client("https", _targetd.Port);

        (await CallAsync(client, "vol_create", new { pool = "images", name = "tls1", size = 1 << 20 }))["result"]!.Type.Should().Be(JTokenType.Null);
        using var plain = Client("http", _targetd.Port);
        var cleartext = async () => await plain.PostAsync("targetrpc", new StringContent("{}"));
        await cleartext.Should().ThrowAsync<HttpRequestException>("TLS has no plain-text fallback");
    }

    [Test]
    [CancelAfter(120_000)]
    public async Task Fifty_clients_at_once_get_well_formed_replies_and_lose_no_volume()
    {
        _targetd = await TargetdProcess.StartAsync(_folder.FullName);
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        var created = new System.Collections.Concurrent.ConcurrentDictionary<string, bool>();
        var exported = new System.Collections.Concurrent.ConcurrentDictionary<string, bool>();
        var clients = Enumerable.Range(0, 50).Select(c => Task.Run(async () =>
        {
            using var client = Client("http", _targetd.Port);
            int n = 0;
            while (!stop.IsCancellationRequested)
            {
                string name = $"c{c}v{n++}";
                var create = await CallAsync(client, "vol_create", new { pool = "images", name, size = 1 << 20 }, n);
                create.Properties().Select(p => p.Name).Should().Equal("result", "id", "jsonrpc");
                created[name] = true;
                if (n % 5 == 1)
                {
                    var export = await CallAsync(client, "export_create", new { pool = "images", vol = name, initiator_wwn = $"iqn.2024-01.org.example:client{c}", lun = n % 200 }, n);
                    export["error"].Should().BeNull(export.ToString());
                    exported[name] = true;
                }

                var list = await CallAsync(client, "vol_list", new { pool = "images" }, n);
                ((JArray)list["result"]!).Select(v => (string)v["name"]!).Should().Contain(name);
                if (n % 3 == 0 && !exported.ContainsKey(name))
                {
                    (await CallAsync(client, "vol_destroy", new { pool = "images", name }, n))["result"]!.Type.Should().Be(JTokenType.Null);
                    created.TryRemove(name, out _);
                }
            }
        })).ToList();
        await Task.WhenAll(clients);

        using var check = Client("http", _targetd.Port);
        var names = ((JArray)(await CallAsync(check, "vol_list", new { pool = "images" }))["result"]!).Select(v => (string)v["name"]!).ToList();
        names.Should().OnlyHaveUniqueItems();
        names.Should().BeEquivalentTo(created.Keys);
        var uuids = ((JArray)(await CallAsync(check, "vol_list", new { pool = "images" }))["result"]!).Select(v => (string)v["uuid"]!).ToList();
        uuids.Should().OnlyHaveUniqueItems();
        var exports = (JArray)(await CallAsync(check, "export_list"))["result"]!;
        exports.Select(e => (string)e["vol_name"]!).Should().BeEquivalentTo(exported.Keys);
        var state = JObject.Parse(await File.ReadAllTextAsync(Path.Combine(_folder.FullName, "state.json")));
        state["initiators"]!.Children<JProperty>().SelectMany(i => i.Value["mappings"]!).Select(m => (string)m["volume"]!)
            .Should().BeEquivalentTo(exported.Keys, "the state file holds exactly the exports");
    }
}
