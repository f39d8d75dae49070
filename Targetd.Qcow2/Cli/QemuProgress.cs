using System.Globalization;

namespace Targetd.Qcow2.Cli;

/// <summary>
/// Progress printed as qemu-img prints it with <c>-p</c> (util/qemu-progress.c, simple mode): a line
/// <c>"    (12.34/100%)\r"</c> whenever the percentage has moved by more than one point since the last line, or
/// reaches 0 or 100, and a newline at the end.
/// </summary>
internal sealed class QemuProgress(TextWriter output) : IProgress<double>
{
    private const double MinimumStep = 1.0;

    private double _lastPrinted = double.NaN;

    /// <summary>Reports a percentage (clamped to 0–100).</summary>
    public void Report(double value)
    {
        value = Math.Clamp(value, 0, 100);
        if (double.IsNaN(_lastPrinted) || Math.Abs(value - _lastPrinted) > MinimumStep || value is 0 or 100)
        {
            _lastPrinted = value;
            output.Write(string.Format(CultureInfo.InvariantCulture, "    ({0:F2}/100%)\r", value));
        }
    }

    /// <summary>Ends the progress output with qemu-img's newline.</summary>
    public void End() => output.Write('\n');
}
