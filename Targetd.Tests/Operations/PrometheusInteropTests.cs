using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using Newtonsoft.Json.Linq;
using Targetd.Tests.Support;

namespace Targetd.Tests.Operations;

/// <summary>
/// A real Prometheus scrapes both daemons while libiscsi (qemu-io) writes through targetd's export; PromQL over what
/// it scraped sees the session and the write rate the test produced, and promtool finds nothing wrong in either
/// exposition. targetd logs JSON throughout: every line parses, and the CHAP secret set through the API is in none.
/// </summary>
[Category("Interop")]
[NonParallelizable]
public sealed partial class PrometheusInteropTests
{
    private const string Initiator = "iqn.2024-01.org.example:prometheus";
    private const string Secret = "prom-chap-secret-42";

    [Test]
    [CancelAfter(180_000)]
    public async Task Prometheus_scrapes_sessions_io_and_pools_from_both_daemons()
    {
        foreach (string tool in new[] { "prometheus", "promtool", "qemu-io", "iscsi-inq" })
        {
            ExternalTool.Require(tool);
        }

        var folder = Directory.CreateTempSubdirectory("targetd-prometheus-");
        Process? prometheus = null;
        try
        {
            int targetdMetrics = Qcow2TargetDaemon.FreePort();
            int socketMetrics = Qcow2TargetDaemon.FreePort();
            await using var targetd = await TargetdProcess.StartAsync(folder.FullName, $"metrics_address: 127.0.0.1:{targetdMetrics}\nlog_format: json");
            string socketFolder = Directory.CreateDirectory(Path.Combine(folder.FullName, "qcow2target")).FullName;
            string disks = Directory.CreateDirectory(Path.Combine(socketFolder, "disks")).FullName;
            string config = Path.Combine(socketFolder, "qcow2target.json");
            await File.WriteAllTextAsync(config, $$"""{"metrics_address": "127.0.0.1:{{socketMetrics}}", "log_format": "json"}""");
            await using var daemon = await Qcow2TargetDaemon.StartAsync(socketFolder, disks, configFile: config);

            int promPort = Qcow2TargetDaemon.FreePort();
            prometheus = StartPrometheus(folder.FullName, promPort, targetdMetrics, socketMetrics);

            using var rpc = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{targetd.Port}/") };
            rpc.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("admin:secret")));
            await CallAsync(rpc, "vol_create", new { pool = "images", name = "metrics1", size = 64L << 20 });
            await CallAsync(rpc, "export_create", new { pool = "images", vol = "metrics1", initiator_wwn = Initiator, lun = 0 });
            await CallAsync(rpc, "initiator_set_auth", new { initiator_wwn = Initiator, in_user = (string?)null, in_pass = (string?)null, out_user = (string?)null, out_pass = (string?)null });

            using var query = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{promPort}/") };
            (await QueryAsync(query, "up{job=\"targetd\"}")).Should().Be(1, "Prometheus scrapes targetd before the I/O starts");

            // One session held for about 6 s, writing 2 MiB, then 2 MiB more 3 s later (a rate needs two samples apart).
            string driver = $"driver=iscsi,transport=tcp,portal=127.0.0.1:{targetd.PortalPort},target={TargetdProcess.TargetName},lun=0,initiator-name={Initiator}";
            await ExternalTool.RunOkAsync("qemu-io", "--image-opts", "-c", "write -P 0x5a 0 2M", "-c", "sleep 3000", "-c", "write -P 0x5a 2M 2M", "-c", "sleep 3000", "-c", "read -P 0x5a 0 4M", driver);
            await Task.Delay(3000); // two more scrapes after the session ended

            string target = TargetdProcess.TargetName;
            (await QueryAsync(query, $"max_over_time(sum(targetd_iscsi_sessions{{target=\"{target}\"}})[2m:1s])")).Should().Be(1, "one session was open during the scrapes");
            (await QueryAsync(query, $"sum(targetd_iscsi_sessions{{target=\"{target}\"}})")).Should().Be(0, "the session has ended");
            (await QueryAsync(query, $"max_over_time(sum(rate(targetd_iscsi_scsi_bytes_total{{target=\"{target}\",direction=\"write\"}}[4s]))[2m:1s])")).Should().BeGreaterThan(0);
            (await QueryAsync(query, $"sum(targetd_iscsi_scsi_bytes_total{{target=\"{target}\",direction=\"write\"}})")).Should().Be(4 << 20);
            (await QueryAsync(query, $"sum(targetd_iscsi_scsi_bytes_total{{target=\"{target}\",direction=\"read\"}})")).Should().BeGreaterThanOrEqualTo(4 << 20);
            (await QueryAsync(query, "targetd_storage_pool_size_bytes{pool=\"images\"}")).Should().BeGreaterThan(0);
            (await QueryAsync(query, "sum(targetd_storage_api_requests_total{api=\"jsonrpc\",method=\"export_create\",result=\"ok\"})")).Should().Be(1);
            (await QueryAsync(query, "up{job=\"targetd\"}")).Should().Be(1);
            (await QueryAsync(query, "up{job=\"qcow2target\"}")).Should().Be(1);
            (await QueryAsync(query, "process_cpu_seconds_total{job=\"qcow2target\"}")).Should().BeGreaterThan(0);

            // A refused login (an initiator outside the ACL) and a command that ends in CHECK CONDITION (an unknown VPD page).
            string portal = $"127.0.0.1:{targetd.PortalPort}";
            (await ExternalTool.RunAsync("iscsi-inq", "-i", "iqn.2024-01.org.example:stranger", $"iscsi://{portal}/{target}/0")).ExitCode.Should().NotBe(0);
            (await ExternalTool.RunAsync("iscsi-inq", "-i", Initiator, "-e", "1", "-c", "66", $"iscsi://{portal}/{target}/0")).StandardError.Should().Contain("ILLEGAL_REQUEST");
            (await QueryAsync(query, $"sum(targetd_iscsi_logins_refused_total{{target=\"{target}\"}})")).Should().Be(1);
            (await QueryAsync(query, $"sum(targetd_iscsi_scsi_errors_total{{target=\"{target}\",sense_key=\"illegal_request\"}})")).Should().BeGreaterThanOrEqualTo(1);
            await CheckDashboardAsync(query);

            foreach (int port in new[] { targetdMetrics, socketMetrics })
            {
                await CheckExpositionAsync(port);
            }

            await CallAsync(rpc, "initiator_set_auth", new { initiator_wwn = Initiator, in_user = "alice", in_pass = Secret, out_user = (string?)null, out_pass = (string?)null });
            await Task.Delay(200);
            var lines = targetd.Log.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var entries = lines.Select(JObject.Parse).ToList();
            entries.Should().OnlyContain(e => e["Timestamp"] != null && e["LogLevel"] != null && e["Message"] != null);
            entries.Should().Contain(e => ((string?)e["Message"])!.StartsWith("audit: jsonrpc initiator_set_auth", StringComparison.Ordinal) && ((string?)e["Message"])!.Contains("\"in_pass\":\"***\"", StringComparison.Ordinal));
            entries.Where(e => e["Scopes"]!.Any(s => ((string?)s["RequestId"])?.Length == 16)).Should().NotBeEmpty("each call logs inside its request scope");
            targetd.Log.Should().NotContain(Secret);
            daemon.Log.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(JObject.Parse).Should().NotBeEmpty();
        }
        finally
        {
            if (prometheus is { HasExited: false })
            {
                prometheus.Kill(entireProcessTree: true);
                await prometheus.WaitForExitAsync();
            }

            prometheus?.Dispose();
            folder.Delete(recursive: true);
        }
    }

    private static Process StartPrometheus(string folder, int port, int targetd, int qcow2target)
    {
        string config = Path.Combine(folder, "prometheus.yml");
        File.WriteAllText(config, $"""
            global:
              scrape_interval: 1s
            scrape_configs:
              - job_name: targetd
                static_configs: [{"{"}targets: ["127.0.0.1:{targetd}"]{"}"}]
              - job_name: qcow2target
                static_configs: [{"{"}targets: ["127.0.0.1:{qcow2target}"]{"}"}]
            """);
        var start = new ProcessStartInfo("prometheus") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string argument in new[] { $"--config.file={config}", $"--storage.tsdb.path={Path.Combine(folder, "tsdb")}", $"--web.listen-address=127.0.0.1:{port}" })
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static async Task<JObject> CallAsync(HttpClient client, string method, object parameters)
    {
        var request = new JObject { ["jsonrpc"] = "2.0", ["id"] = 1, ["method"] = method, ["params"] = JObject.FromObject(parameters) };
        using var response = await client.PostAsync("targetrpc", new StringContent(request.ToString()));
        response.Headers.GetValues("X-Request-Id").Single().Should().HaveLength(16);
        var reply = JObject.Parse(await response.Content.ReadAsStringAsync());
        reply["error"].Should().BeNull(reply.ToString());
        return reply;
    }

    /// <summary>An instant query's single value; retried until Prometheus is up and has the series.</summary>
    private static async Task<double> QueryAsync(HttpClient client, string promql)
    {
        string last = string.Empty;
        for (int attempt = 0; attempt < 40; attempt++)
        {
            try
            {
                last = await client.GetStringAsync("api/v1/query?query=" + Uri.EscapeDataString(promql));
                var result = (JArray)JObject.Parse(last)["data"]!["result"]!;
                if (result.Count == 1)
                {
                    return double.Parse((string)result[0]["value"]![1]!, CultureInfo.InvariantCulture);
                }
            }
            catch (HttpRequestException ex)
            {
                last = ex.Message;
            }

            await Task.Delay(500);
        }

        throw new AssertionException($"{promql}: no single result: {last}");
    }

    /// <summary>
    /// Every query of packaging/grafana-dashboard.json is valid PromQL over what was scraped, and every metric it
    /// names is one the daemons export.
    /// </summary>
    private static async Task CheckDashboardAsync(HttpClient client)
    {
        var dashboard = JObject.Parse(await File.ReadAllTextAsync(Path.Combine(RepositoryRoot.Path, "packaging", "grafana-dashboard.json")));
        var exported = ((JArray)JObject.Parse(await client.GetStringAsync("api/v1/label/__name__/values"))["data"]!).Select(n => (string)n!).ToHashSet(StringComparer.Ordinal);
        var expressions = dashboard.SelectTokens("panels[*].targets[*].expr").Select(e => (string)e!).ToList();
        expressions.Should().HaveCountGreaterThan(15);
        foreach (string expression in expressions)
        {
            string promql = expression.Replace("$__rate_interval", "4s", StringComparison.Ordinal)
                .Replace("$job", ".*", StringComparison.Ordinal).Replace("$target", ".*", StringComparison.Ordinal).Replace("$lun", ".*", StringComparison.Ordinal);
            var reply = JObject.Parse(await client.GetStringAsync("api/v1/query?query=" + Uri.EscapeDataString(promql)));
            ((string?)reply["status"]).Should().Be("success", promql);
            foreach (string metric in MetricName().Matches(promql).Select(m => m.Value))
            {
                exported.Should().Contain(metric, $"the dashboard's query {promql} reads it");
            }
        }
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"\b(targetd|process|dotnet)_[a-z0-9_]+")]
    private static partial System.Text.RegularExpressions.Regex MetricName();

    private static async Task CheckExpositionAsync(int port)
    {
        using var client = new HttpClient();
        string text = await client.GetStringAsync($"http://127.0.0.1:{port}/metrics");
        string file = Path.GetTempFileName();
        try
        {
            await File.WriteAllTextAsync(file, text);
            var lint = await ExternalTool.RunAsync("bash", "-c", $"promtool check metrics < '{file}'");
            lint.ExitCode.Should().Be(0, lint.StandardOutput + lint.StandardError);
            (lint.StandardOutput + lint.StandardError).Trim().Should().BeEmpty();
        }
        finally
        {
            File.Delete(file);
        }
    }
}
