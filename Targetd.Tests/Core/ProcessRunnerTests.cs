using Targetd.Core.Errors;
using Targetd.Core.Processes;

namespace Targetd.Tests.Core;

public sealed class ProcessRunnerTests
{
    private readonly ProcessRunner _runner = new();

    [Test]
    public async Task Arguments_reach_the_program_verbatim_without_a_shell()
    {
        var command = new ProcessCommand("printf", "%s|", "two words", "$(id -u); echo pwned", "'quoted'", "*");

        var result = await _runner.RunAsync(command);

        result.Succeeded.Should().BeTrue();
        result.StandardOutput.Should().Be("two words|$(id -u); echo pwned|'quoted'|*|");
    }

    [Test]
    public async Task Exit_status_and_standard_error_are_reported()
    {
        var result = await _runner.RunAsync(new ProcessCommand("sh", "-c", "echo out; echo err >&2; exit 3"));

        result.ExitCode.Should().Be(3);
        result.StandardOutput.Should().Be("out\n");
        result.StandardError.Should().Be("err\n");
    }

    [Test]
    public async Task Standard_input_is_written_and_closed()
    {
        var result = await _runner.RunAsync(new ProcessCommand("cat") { StandardInput = "line one\nline two\n" });

        result.StandardOutput.Should().Be("line one\nline two\n");
    }

    [Test]
    public async Task A_missing_program_yields_status_127_with_the_reason()
    {
        var result = await _runner.RunAsync(new ProcessCommand("/nonexistent/targetd-no-such-tool", "x"));

        result.ExitCode.Should().Be(ProcessResult.NotStartedExitCode);
        result.StandardError.Should().Contain("targetd-no-such-tool");
    }

    [Test]
    public async Task A_program_past_its_timeout_is_killed()
    {
        var run = async () => await _runner.RunAsync(new ProcessCommand("sleep", "30") { Timeout = TimeSpan.FromMilliseconds(200) });

        await run.Should().ThrowAsync<TimeoutException>();
    }

    [Test]
    public async Task Cancellation_kills_the_program()
    {
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));

        var run = async () => await _runner.RunAsync(new ProcessCommand("sleep", "30"), cancel.Token);

        await run.Should().ThrowAsync<OperationCanceledException>();
    }

    [Test]
    public void Ensure_success_raises_targetds_unexpected_exit_code_error()
    {
        var command = new ProcessCommand("btrfs", "subvolume", "create", "/mnt/it's");
        var result = new ProcessResult(1, "", "ERROR: target path already exists\n");

        var ensure = () => result.EnsureSuccess(command);

        ensure.Should().Throw<TargetdException>().Which.Should().Match<TargetdException>(e =>
            e.Code == TargetdErrorCode.UnexpectedExitCode
            && e.Message == "Unexpected exit code \"['btrfs', 'subvolume', 'create', '/mnt/it\\'s']\" 1, out= ERROR: target path already exists");
        ProcessResult.Success("ok").EnsureSuccess(command).StandardOutput.Should().Be("ok");
    }

    [Test]
    public async Task Recording_runner_records_commands_and_answers_with_the_latest_matching_rule()
    {
        var runner = new RecordingProcessRunner()
            .WhenStartsWith(["lvs"], ProcessResult.Success("first"))
            .WhenStartsWith(["lvs", "--noheadings"], new ProcessResult(5, "", "boom"));

        var plain = await runner.RunAsync(new ProcessCommand("lvs", "vg"));
        var specific = await runner.RunAsync(new ProcessCommand("lvs", "--noheadings", "vg"));
        var other = await runner.RunAsync(new ProcessCommand("exportfs", "-r"));

        plain.StandardOutput.Should().Be("first");
        specific.ExitCode.Should().Be(5);
        other.Should().Be(ProcessResult.Success());
        runner.CommandLines.Should().Equal("lvs vg", "lvs --noheadings vg", "exportfs -r");
        runner.Invocations[1].Should().Be(new ProcessCommand("lvs", "--noheadings", "vg"));
    }
}
