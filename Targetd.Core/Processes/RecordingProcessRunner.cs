using System.Collections.Concurrent;

namespace Targetd.Core.Processes;

/// <summary>
/// A process runner for tests of storage adapters: it records every command instead of running it and
/// answers with scripted results (exit status 0 and no output unless told otherwise).
/// </summary>
public sealed class RecordingProcessRunner : IProcessRunner
{
    private readonly ConcurrentQueue<ProcessCommand> _invocations = new();
    private readonly List<(Func<ProcessCommand, bool> Matches, Func<ProcessCommand, ProcessResult> Respond)> _rules = [];
    private readonly Lock _gate = new();

    /// <summary>Every command run so far, in order.</summary>
    public IReadOnlyList<ProcessCommand> Invocations => [.. _invocations];

    /// <summary>The argv of every command run so far, each as one space-joined line.</summary>
    public IReadOnlyList<string> CommandLines => [.. _invocations.Select(c => string.Join(' ', [c.FileName, .. c.Arguments]))];

    /// <summary>Answers commands that <paramref name="matches"/> with <paramref name="result"/>; later rules win.</summary>
    public RecordingProcessRunner When(Func<ProcessCommand, bool> matches, ProcessResult result) =>
        When(matches, _ => result);

    /// <summary>Answers commands that <paramref name="matches"/> with a computed result; later rules win.</summary>
    public RecordingProcessRunner When(Func<ProcessCommand, bool> matches, Func<ProcessCommand, ProcessResult> respond)
    {
        ArgumentNullException.ThrowIfNull(matches);
        ArgumentNullException.ThrowIfNull(respond);
        lock (_gate)
        {
            _rules.Add((matches, respond));
        }

        return this;
    }

    /// <summary>Answers a program whose argv starts with <paramref name="prefix"/> with <paramref name="result"/>.</summary>
    public RecordingProcessRunner WhenStartsWith(IReadOnlyList<string> prefix, ProcessResult result)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        return When(
            c => prefix.Count > 0 && c.FileName == prefix[0] && c.Arguments.Count >= prefix.Count - 1
                 && c.Arguments.Take(prefix.Count - 1).SequenceEqual(prefix.Skip(1)),
            result);
    }

    /// <inheritdoc />
    public Task<ProcessResult> RunAsync(ProcessCommand command, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(command);
        cancellationToken.ThrowIfCancellationRequested();
        _invocations.Enqueue(command);
        lock (_gate)
        {
            for (int i = _rules.Count - 1; i >= 0; i--)
            {
                if (_rules[i].Matches(command))
                {
                    return Task.FromResult(_rules[i].Respond(command));
                }
            }
        }

        return Task.FromResult(ProcessResult.Success());
    }
}
