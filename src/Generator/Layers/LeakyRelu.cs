using System;
using DslNet.Generator.Common;
using DslNet.Generator.Emitting;
using DslNet.Generator.Parsing;
using DslNet.Generator.Planning;
using Microsoft.CodeAnalysis;

namespace DslNet.Generator.Layers
{
    /// <summary><c>[LeakyRelu(slope)]</c>: <c>nn.LeakyReLU(slope)</c>, kernel <c>CpuKernels.LeakyRelu</c>.</summary>
    internal sealed class LeakyRelu : ActivationDescriptor
    {
        public override LayerKind Kind => LayerKind.LeakyRelu;
        protected override ActivationKind Activation => ActivationKind.LeakyRelu;
        public override bool IsReluLike => true;

        public override LayerSpec Read(LocationInfo? location, AttributeData attribute) =>
            new LeakyReluSpec(location, AttributeArguments.Double(AttributeArguments.Positional(attribute, 0), 0.01));

        public override ActivationOp Plan(LayerSpec layer) => new ActivationOp(ActivationKind.LeakyRelu, ((LeakyReluSpec)layer).Slope);

        public override string Functor(ActivationOp op) => $"new {KernelType(op)}({Names.Float(op.Slope)})";

        /// <summary>torch.nn.init.calculate_gain('leaky_relu', slope).</summary>
        public override double HeGain(ActivationOp op) => Math.Sqrt(2.0 / (1 + op.Slope * op.Slope));

        /// <summary>With slope 0 it is a ReLU.</summary>
        public override bool DeadAtZero(ActivationOp op) => op.Slope == 0;

        /// <summary>A slope ≥ 0 keeps the sign, so f(u) &gt; 0 exactly where u &gt; 0 (and the functor gives the slope elsewhere).</summary>
        public override bool DerivativeFromOutput(ActivationOp op) => op.Slope >= 0;

        public override string Describe(LayerSpec layer) => $"LeakyRelu({Format(((LeakyReluSpec)layer).Slope)})";
    }

    /// <summary>[LeakyRelu]'s argument: the negative slope (PyTorch's default 0.01).</summary>
    internal sealed record LeakyReluSpec(LocationInfo? Location, double Slope) : LayerSpec(LayerKind.LeakyRelu, Location);
}
