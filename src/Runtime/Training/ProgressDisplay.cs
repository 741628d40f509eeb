using System.Diagnostics;
using System.Globalization;

namespace DslNet;

/// <summary>How <see cref="Trainer"/> reports progress.</summary>
public enum ProgressMode
{
    /// <summary><see cref="Live"/> on an interactive console, <see cref="Lines"/> when output is redirected or a writer is given.</summary>
    Auto,

    /// <summary>One line redrawn with <c>\r</c> during an epoch (batches, samples/s, loss, ETA), then the epoch's summary line.</summary>
    Live,

    /// <summary>One plain line per epoch.</summary>
    Lines,

    /// <summary>Nothing.</summary>
    Silent,
}

/// <summary>
/// The trainer's progress output. The live line is composed in a reused character buffer and redrawn at most
/// ten times a second, so it allocates nothing in the batch loop.
/// </summary>
public sealed class ProgressDisplay
{
    private const double RedrawSeconds = 0.1;
    private readonly TextWriter _writer;
    private readonly bool _live;
    private readonly char[] _line = new char[160];
    private readonly Stopwatch _epochClock = new();
    private double _lastDraw;
    private int _lastLength;
    private int _epoch;
    private int _epochs;
    private int _batches;

    public ProgressDisplay(TextWriter writer, bool live)
    {
        ArgumentNullException.ThrowIfNull(writer);
        _writer = writer;
        _live = live;
    }

    /// <summary>The display a mode asks for; null for <see cref="ProgressMode.Silent"/>.</summary>
    public static ProgressDisplay? Create(ProgressMode mode, TextWriter? writer)
    {
        if (mode == ProgressMode.Silent) return null;
        var live = mode switch
        {
            ProgressMode.Live => true,
            ProgressMode.Lines => false,
            _ => writer is null && !Console.IsOutputRedirected,
        };
        return new ProgressDisplay(writer ?? Console.Out, live);
    }

    public bool IsLive => _live;

    public void StartEpoch(int epoch, int epochs, int batches)
    {
        _epoch = epoch;
        _epochs = epochs;
        _batches = batches;
        _lastDraw = double.NegativeInfinity;
        _lastLength = 0;
        _epochClock.Restart();
    }

    /// <summary>After each batch: redraws the live line when due. Allocates nothing.</summary>
    public void Batch(int batchesDone, long samplesDone, double loss)
    {
        if (!_live) return;
        var elapsed = _epochClock.Elapsed.TotalSeconds;
        if (elapsed - _lastDraw < RedrawSeconds && batchesDone < _batches) return;
        _lastDraw = elapsed;

        var rate = elapsed > 0 ? samplesDone / elapsed : 0;
        var eta = batchesDone > 0 ? (int)Math.Ceiling(elapsed / batchesDone * (_batches - batchesDone)) : 0;
        // Composed piece by piece with TryFormat: the interpolated-string handler boxes values it formats with a
        // format string, which would allocate on every redraw.
        _line[0] = '\r';
        var position = 1;
        Append(ref position, "epoch ");
        Append(ref position, _epoch, default);
        Append(ref position, "/");
        Append(ref position, _epochs, default);
        Append(ref position, " [");
        Append(ref position, batchesDone, default);
        Append(ref position, "/");
        Append(ref position, _batches, default);
        Append(ref position, "] ");
        Append(ref position, (long)rate, "N0");
        Append(ref position, " samples/s loss ");
        Append(ref position, loss, "0.0000");
        Append(ref position, " ETA ");
        Append(ref position, eta / 60, default);
        Append(ref position, ":");
        Append(ref position, eta % 60, "00");
        var length = position;
        // Blank out what is left of a longer previous line.
        var end = Math.Min(_line.Length, Math.Max(length, _lastLength));
        _line.AsSpan(length, end - length).Fill(' ');
        _lastLength = length;
        _writer.Write(_line, 0, end);
        _writer.Flush();
    }

    private void Append(ref int position, ReadOnlySpan<char> text)
    {
        var free = _line.AsSpan(position);
        var count = Math.Min(text.Length, free.Length);
        text[..count].CopyTo(free);
        position += count;
    }

    private void Append<T>(ref int position, T value, ReadOnlySpan<char> format) where T : ISpanFormattable
    {
        if (value.TryFormat(_line.AsSpan(position), out var written, format, CultureInfo.InvariantCulture))
            position += written;
    }

    public void EndEpoch(EpochRecord record)
    {
        var line = FormatEpoch(record, _epochs);
        if (_live)
            _writer.Write('\r' + line.PadRight(_lastLength) + Environment.NewLine);
        else
            _writer.WriteLine(line);
        _lastLength = 0;
        _writer.Flush();
    }

    /// <summary>A line of its own (early stopping, a checkpoint), after ending any live line.</summary>
    public void Message(string text)
    {
        if (_live && _lastLength > 0) _writer.WriteLine();
        _lastLength = 0;
        _writer.WriteLine(text);
        _writer.Flush();
    }

    /// <summary>The plain per-epoch line: losses, metrics, learning rate, throughput, time.</summary>
    public static string FormatEpoch(EpochRecord e, int epochs)
    {
        var text = FormattableString.Invariant($"epoch {e.Epoch}/{epochs}  train_loss {e.TrainLoss:0.0000}");
        if (e.ValidationLoss is { } v) text += FormattableString.Invariant($"  val_loss {v:0.0000}");
        if (e.ValidationAuc is { } auc) text += FormattableString.Invariant($"  val_auc {auc:0.0000}");
        if (e.ValidationAccuracy is { } acc) text += FormattableString.Invariant($"  val_acc {acc:0.0000}");
        text += FormattableString.Invariant($"  lr {e.LearningRate:0.###e+0}  {e.SamplesPerSecond:N0} samples/s  {e.WallSeconds:0.0} s");
        return text;
    }
}
