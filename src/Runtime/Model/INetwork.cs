namespace DslNet;

/// <summary>What every generated network offers; the trainer and tools work through it.</summary>
public interface INetwork
{
    int InputSize { get; }
    int OutputSize { get; }
    Loss Loss { get; }

    /// <summary>All trainable parameters in one flat buffer; <see cref="ParameterBuffer.Gradients"/> has the same layout.</summary>
    ParameterBuffer Parameters { get; }

    /// <summary>Gradients written by the last <c>TrainStep</c> (same layout as <see cref="Parameters"/>).</summary>
    TensorBuffer Gradients { get; }

    /// <summary>BatchNorm running means and variances (not trained; PyTorch's buffers).</summary>
    TensorBuffer RunningStatistics { get; }

    /// <summary>
    /// Number of training steps taken; it keys the dropout masks. Settable so a restored checkpoint (or a
    /// gradient check) continues with the same masks.
    /// </summary>
    long StepCount { get; set; }

    /// <summary>
    /// The seed the dropout masks are keyed by (with <see cref="StepCount"/>, the network's whole random state).
    /// The constructor's seed; settable so a checkpoint restores it into a network built with another seed.
    /// </summary>
    ulong Seed { get; set; }

    /// <summary>
    /// Training mode forward pass, loss and backward pass over one batch: overwrites <see cref="Gradients"/>,
    /// updates running statistics, and returns the mean loss. Rows = <c>inputs.Length / InputSize</c>.
    /// </summary>
    float TrainStep(ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets);

    /// <summary>
    /// <see cref="TrainStep(ReadOnlySpan{float}, ReadOnlySpan{float})"/> with the loss multiplied by
    /// <paramref name="lossScale"/> before the backward pass, so <see cref="Gradients"/> come out scaled
    /// (pass <c>GradScaler.Scale</c>, then unscale before clipping). The returned loss is unscaled.
    /// </summary>
    float TrainStep(ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets, float lossScale);

    /// <summary>Per-block activation and gradient statistics, and anomaly mode (NaN/∞ named at the first block).</summary>
    NetworkMonitor Monitor { get; }

    /// <summary>Inference mode (running statistics, no dropout): writes the raw outputs (logits) of each row.</summary>
    void Predict(ReadOnlySpan<float> inputs, Span<float> outputs);

    /// <summary>Loss of a batch in inference mode, without touching gradients or statistics.</summary>
    float EvaluateLoss(ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets);

    /// <summary>A Keras-style table of blocks, output shapes and parameter counts.</summary>
    string Summary();
}
