namespace DslNet;

/// <summary>
/// Storage type of activations and gradients on a device. Master weights, optimizer state, the loss and
/// normalization statistics stay fp32 in every case. <see cref="Device.Cpu"/> runs all three: it keeps fp32 buffers and
/// rounds each stored activation and activation gradient to the format, the numerics of 16-bit storage without its memory saving.
/// </summary>
public enum Precision
{
    /// <summary>Everything in fp32 (the default; the CPU path's numerics).</summary>
    Fp32,

    /// <summary>fp16 activations and gradients with dynamic loss scaling. Not implemented on devices yet.</summary>
    Fp16,

    /// <summary>bf16 (stored as ushort, round to nearest even) activations and gradients. Not implemented on devices yet.</summary>
    Bf16,
}
