namespace DslNet;

/// <summary>
/// Storage type of activations and activation gradients (<c>new Model(seed, Device.Cuda(), Precision.Fp16)</c>).
/// Parameters (fp32 master weights), parameter gradients, optimizer state, the loss, normalization statistics (batch,
/// running and per-row) and every accumulation stay fp32 (sums of statistics and losses in double) in every precision:
/// kernels widen a 16-bit value to fp32 as they load it and round to nearest even once, as they store it.
/// <see cref="Device.Cpu"/> keeps fp32 buffers and rounds each stored value to the format instead.
/// </summary>
/// <remarks>
/// Unlike PyTorch's autocast, which picks a dtype per operation, the choice is per network: every stored activation is
/// 16-bit, including the logits the loss reads (the loss itself is computed in double from them, as autocast runs
/// losses in fp32), and the network's inputs and the outputs of <c>Predict</c> stay fp32. The GEMMs read 16-bit
/// operands and accumulate in fp32 like cuBLAS's fp16 GEMMs with fp32 compute.
/// </remarks>
public enum Precision
{
    /// <summary>Everything in fp32 (the default; the CPU path's numerics).</summary>
    Fp32,

    /// <summary>
    /// IEEE fp16 activations and activation gradients (5-bit exponent: largest 65504, smallest normal 6.1e-5). Use with
    /// dynamic loss scaling (<see cref="GradScaler"/>): the backward kernels raise an overflow flag when a gradient they
    /// store does not fit, the flag comes back with the loss, and the step is skipped (weights and optimizer state
    /// untouched) while the scale backs off. Without scaling, gradients below about 6e-8 flush to zero.
    /// </summary>
    Fp16,

    /// <summary>
    /// bfloat16 activations and activation gradients (stored as ushort, round to nearest even): fp32's exponent range
    /// with an 8-bit mantissa (about 3 significant digits), so loss scaling is optional (it is accepted and works the
    /// same way as for fp16, which the analyzer notes as unnecessary, DSL3003).
    /// </summary>
    Bf16,
}
