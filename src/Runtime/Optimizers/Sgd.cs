using System.Numerics;
using System.Runtime.CompilerServices;

namespace DslNet;

/// <summary>
/// Stochastic gradient descent with <c>torch.optim.SGD</c>'s semantics:
/// <c>g += wd·p; b = μ·b + (1 − dampening)·g</c> (the first step sets <c>b = g</c>);
/// <c>g = nesterov ? g + μ·b : b; p −= lr·g</c>. The L2 decay applies to <see cref="Optimizer.WeightDecayOn"/>
/// (weights only by default; <see cref="ParameterSelection.All"/> for PyTorch's single group).
/// </summary>
public sealed class Sgd : Optimizer
{
    private double _momentum;

    // Allocated on the first step with a non-zero momentum (one-cycle may switch momentum on after
    // construction), then reused; like PyTorch's momentum_buffer, which starts as None.
    private float[]? _momentumBuffer;

    public Sgd(
        ParameterBuffer parameters, double lr, double momentum = 0, double dampening = 0, double weightDecay = 0, bool nesterov = false,
        ParameterSelection weightDecayOn = ParameterSelection.WeightsOnly)
        : base(parameters, lr, weightDecayOn)
    {
        Momentum = momentum;
        Dampening = CheckNonNegative(dampening, nameof(dampening));
        WeightDecay = CheckNonNegative(weightDecay, nameof(weightDecay));
        if (nesterov && (momentum <= 0 || dampening != 0))
            throw new ArgumentException("Nesterov momentum requires a momentum and zero dampening.", nameof(nesterov));
        Nesterov = nesterov;
    }

    public override double Momentum
    {
        get => _momentum;
        set => _momentum = CheckNonNegative(value, nameof(Momentum));
    }

    public double Dampening { get; }
    public double WeightDecay { get; }
    public bool Nesterov { get; }

    /// <summary>PyTorch's <c>momentum_buffer</c>; null until a step has used momentum.</summary>
    public ReadOnlySpan<float> MomentumBuffer => _momentumBuffer;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override void Step()
    {
        var parameters = Parameters.Span;
        var gradients = Gradients.Span;
        var lr = (float)LearningRate;
        var weightDecay = (float)WeightDecay;
        var momentum = (float)_momentum;
        var first = false;
        if (_momentum != 0.0 && _momentumBuffer is null)
        {
            _momentumBuffer = new float[parameters.Length];
            first = true;
        }

        foreach (var segment in Segments)
        {
            var range = segment.Range;
            var decay = segment.Decayed ? weightDecay : 0.0f;
            if (_momentum == 0.0)
                StepPlain(parameters[range], gradients[range], lr, decay);
            else if (first)
                StepFirstMomentum(parameters[range], gradients[range], _momentumBuffer.AsSpan(range), lr, decay, momentum, Nesterov);
            else
                StepMomentum(parameters[range], gradients[range], _momentumBuffer.AsSpan(range), lr, decay, momentum, (float)(1.0 - Dampening), Nesterov);
        }

        StepCount++;
    }

    protected override void SaveStateCore(StateWriter state)
    {
        state.Value("dampening", Dampening);
        state.Value("weight_decay", WeightDecay);
        state.Value("nesterov", Nesterov);
        state.Value("has_momentum_buffer", _momentumBuffer is not null);
        if (_momentumBuffer is not null)
            state.Tensor("momentum_buffer", _momentumBuffer);
    }

    protected override void LoadStateCore(StateReader state)
    {
        Expect(state, "dampening", Dampening);
        Expect(state, "weight_decay", WeightDecay);
        Expect(state, "nesterov", Nesterov ? "true" : "false");
        if (state.Boolean("has_momentum_buffer"))
        {
            var buffer = _momentumBuffer ?? new float[Parameters.Length];
            state.Tensor("momentum_buffer", buffer);
            _momentumBuffer = buffer;
        }
        else
            _momentumBuffer = null;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void StepPlain(Span<float> p, ReadOnlySpan<float> g, float lr, float weightDecay)
    {
        var i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var vLr = new Vector<float>(lr);
            var vWd = new Vector<float>(weightDecay);
            for (; i <= p.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                var vp = new Vector<float>(p[i..]);
                var vg = new Vector<float>(g[i..]) + vWd * vp;
                (vp - vLr * vg).CopyTo(p[i..]);
            }
        }

        for (; i < p.Length; i++)
        {
            var grad = g[i] + weightDecay * p[i];
            p[i] -= lr * grad;
        }
    }

    /// <summary>The first momentum step: the buffer becomes the (decayed) gradient itself, undampened.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void StepFirstMomentum(Span<float> p, ReadOnlySpan<float> g, Span<float> buffer, float lr, float weightDecay, float momentum, bool nesterov)
    {
        for (var i = 0; i < p.Length; i++)
        {
            var grad = g[i] + weightDecay * p[i];
            buffer[i] = grad;
            var direction = nesterov ? grad + momentum * grad : grad;
            p[i] -= lr * direction;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void StepMomentum(Span<float> p, ReadOnlySpan<float> g, Span<float> buffer, float lr, float weightDecay, float momentum, float oneMinusDampening, bool nesterov)
    {
        var i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var vLr = new Vector<float>(lr);
            var vWd = new Vector<float>(weightDecay);
            var vMomentum = new Vector<float>(momentum);
            var vUndamped = new Vector<float>(oneMinusDampening);
            for (; i <= p.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                var vp = new Vector<float>(p[i..]);
                var vg = new Vector<float>(g[i..]) + vWd * vp;
                var vb = vMomentum * new Vector<float>(buffer[i..]) + vUndamped * vg;
                vb.CopyTo(buffer[i..]);
                var direction = nesterov ? vg + vMomentum * vb : vb;
                (vp - vLr * direction).CopyTo(p[i..]);
            }
        }

        for (; i < p.Length; i++)
        {
            var grad = g[i] + weightDecay * p[i];
            var b = momentum * buffer[i] + oneMinusDampening * grad;
            buffer[i] = b;
            var direction = nesterov ? grad + momentum * b : b;
            p[i] -= lr * direction;
        }
    }
}
