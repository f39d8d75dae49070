using System.Threading.Channels;
using Microsoft.Extensions.Time.Testing;

namespace Targetd.Tests.Iscsi;

/// <summary>A <see cref="FakeTimeProvider"/> that reports the due time of every timer created on it, as it is created.</summary>
internal sealed class TimerRecordingTimeProvider : FakeTimeProvider
{
    private readonly Channel<TimeSpan> _created = Channel.CreateUnbounded<TimeSpan>();

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = base.CreateTimer(callback, state, dueTime, period);
        _created.Writer.TryWrite(dueTime);
        return timer;
    }

    /// <summary>The due time of the next timer created, waiting up to 5 s (real time) for it.</summary>
    public async Task<TimeSpan> NextTimerAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        return await _created.Reader.ReadAsync(timeout.Token);
    }
}
