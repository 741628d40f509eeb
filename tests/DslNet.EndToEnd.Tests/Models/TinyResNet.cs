namespace DslNet.EndToEnd.Tests.Models;

// The architecture of tests/reference/tiny_resnet_training.json (script tests/reference/scripts/tiny_resnet_training.py):
// a stem, two torchvision BasicBlocks (4 → 4 with an identity shortcut; 4 → 6 at stride 2 with a 1×1 conv + BatchNorm
// shortcut), global average pooling and a Linear(6, 3); input 1×8×8. Each BasicBlock is two blocks here: the first
// conv's block, and the second conv's block whose Add joins the shortcut after its BatchNorm and before its ReLU.
[Network(Channels = 1, Height = 8, Width = 8, Loss = Loss.CrossEntropy, ResidualInit = ResidualInit.ZeroLastNorm)]
public sealed partial class TinyResNet
{
    [Conv2d(4, 3, Padding = 1, Bias = false), BatchNorm2d, Relu] public partial DenseBlock Stem { get; }
    [Conv2d(4, 3, Padding = 1, Bias = false), BatchNorm2d, Relu] public partial DenseBlock Unit1A { get; }
    [Conv2d(4, 3, Padding = 1, Bias = false), BatchNorm2d, Add(nameof(Stem)), Relu] public partial DenseBlock Unit1B { get; }
    [Conv2d(6, 3, Stride = 2, Padding = 1, Bias = false), BatchNorm2d, Relu] public partial DenseBlock Unit2A { get; }
    [Conv2d(6, 3, Padding = 1, Bias = false), BatchNorm2d, Add(nameof(Unit1B), Projection = true), Relu] public partial DenseBlock Unit2B { get; }
    [GlobalAvgPool2d] public partial DenseBlock Pool { get; }
    [Dense(3)] public partial DenseBlock Output { get; }
}
