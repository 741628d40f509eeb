using DslNet.Generator.Parsing;
using DslNet.Generator.Planning;

namespace DslNet.Generator.Layers
{
    /// <summary><c>[Relu]</c>: <c>nn.ReLU</c>, kernel <c>CpuKernels.Relu</c> (derivative 0 at 0, as PyTorch).</summary>
    internal sealed class Relu : ActivationDescriptor
    {
        public override LayerKind Kind => LayerKind.Relu;
        protected override ActivationKind Activation => ActivationKind.Relu;
        public override bool IsReluLike => true;
        public override bool DeadAtZero(ActivationOp op) => true;
        public override bool DerivativeFromOutput(ActivationOp op) => true;
    }
}
