using System;
using DslNet.Generator.Emitting;
using DslNet.Generator.Parsing;
using DslNet.Generator.Planning;

namespace DslNet.Generator.Layers
{
    /// <summary>
    /// How an activation is spelled and what it means to initialization and monitoring. Each activation's kernel is
    /// one <c>IActivation</c> struct functor in DslNet.Kernels, used by both the CPU and the ILGPU paths.
    /// </summary>
    internal interface IActivationEmission
    {
        /// <summary>The functor's type, e.g. <c>CpuKernels.Relu</c>.</summary>
        string KernelType(ActivationOp op);

        /// <summary>The functor's value, e.g. <c>default(CpuKernels.Relu)</c>.</summary>
        string Functor(ActivationOp op);

        /// <summary>Halves the variance like a ReLU: Init.Auto picks He, and Xavier warns (DSL0007).</summary>
        bool IsReluLike { get; }

        /// <summary>torch.nn.init.calculate_gain for He initialization in front of it.</summary>
        double HeGain(ActivationOp op);

        /// <summary>f(0) = 0 and f'(0) = 0 (ReLU, LeakyReLU with slope 0): a branch zeroed in front of it never learns (DSL0023).</summary>
        bool DeadAtZero(ActivationOp op);

        /// <summary>The monitor's saturation check (DslNet.Saturation member).</summary>
        string Saturation { get; }

        /// <summary>
        /// The functor's <c>Derivative</c> gives f'(u) when handed f(u) (ReLU: f(u) &gt; 0 exactly where u &gt; 0), so a backward
        /// pass can read the output instead of a stored pre-activation.
        /// </summary>
        bool DerivativeFromOutput(ActivationOp op);
    }

    /// <summary>An activation attribute: one kind, one functor.</summary>
    internal abstract class ActivationDescriptor : LayerDescriptor, IActivationEmission
    {
        public override LayerRole Role => LayerRole.Activation;

        /// <summary>The planned activation for this attribute (Gelu picks its form from Approximate).</summary>
        public virtual ActivationOp Plan(LayerSpec layer) => new ActivationOp(Activation, 0);

        protected abstract ActivationKind Activation { get; }

        /// <summary>Every planned kind this descriptor spells.</summary>
        public virtual bool Spells(ActivationKind kind) => kind == Activation;

        public virtual string KernelType(ActivationOp op) => Names.Kernels + "." + op.Kind;

        public virtual string Functor(ActivationOp op) => $"default({KernelType(op)})";

        public virtual bool IsReluLike => false;

        public virtual double HeGain(ActivationOp op) => Math.Sqrt(2.0);

        public virtual bool DeadAtZero(ActivationOp op) => false;

        public virtual string Saturation => "None";

        public virtual bool DerivativeFromOutput(ActivationOp op) => false;
    }

    /// <summary>No activation: the identity functor, not an attribute.</summary>
    internal sealed class IdentityActivation : IActivationEmission
    {
        public static readonly IdentityActivation Instance = new IdentityActivation();

        public string KernelType(ActivationOp op) => Names.Kernels + ".Identity";

        public string Functor(ActivationOp op) => $"default({KernelType(op)})";

        public bool IsReluLike => false;

        public double HeGain(ActivationOp op) => Math.Sqrt(2.0);

        public bool DeadAtZero(ActivationOp op) => false;

        public string Saturation => "None";

        public bool DerivativeFromOutput(ActivationOp op) => true;
    }
}
