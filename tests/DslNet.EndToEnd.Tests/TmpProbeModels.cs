namespace DslNet.EndToEnd.Tests.Models;
[Network(Channels = 2, Height = 6, Width = 6, Loss = Loss.MeanSquaredError)]
public sealed partial class ProbeV1 { [Conv2d(4, 3, Padding = 1), InstanceNorm2d(Affine = true), Relu] public partial DenseBlock A { get; } [Flatten, Dense(2)] public partial DenseBlock H { get; } }
[Network(Channels = 2, Height = 6, Width = 6, Loss = Loss.MeanSquaredError)]
public sealed partial class ProbeV2 { [Conv2d(4, 3, Padding = 1, Groups = 2), GroupNorm(2), Gelu, Dropout2d(0.25)] public partial DenseBlock A { get; } [Flatten, Dense(2)] public partial DenseBlock H { get; } }
[Network(Channels = 2, Height = 6, Width = 6, Loss = Loss.MeanSquaredError)]
public sealed partial class ProbeV2b { [Conv2d(4, 3, Padding = 1, Groups = 2), GroupNorm(2), Gelu] public partial DenseBlock A { get; } [Flatten, Dense(2)] public partial DenseBlock H { get; } }
[Network(Channels = 4, Height = 6, Width = 6, Loss = Loss.MeanSquaredError)]
public sealed partial class ProbeV3 { [Conv2d(4, 3, Padding = 2, Dilation = 2, Groups = 4), LayerNorm, Tanh] public partial DenseBlock A { get; } [Flatten, Dense(2)] public partial DenseBlock H { get; } }
[Network(Channels = 4, Height = 6, Width = 6, Loss = Loss.MeanSquaredError)]
public sealed partial class ProbeV4 { [BatchNorm2d, Relu, Conv2d(4, 1)] public partial DenseBlock A { get; } [Flatten, Dense(2)] public partial DenseBlock H { get; } }
[Network(Channels = 4, Height = 6, Width = 6, Loss = Loss.MeanSquaredError)]
public sealed partial class ProbeV5 { [InstanceNorm2d, AvgPool2d(3), Flatten, Dense(5), Silu, Dropout(0.2)] public partial DenseBlock A { get; } [Dense(2)] public partial DenseBlock H { get; } }
[Network(Channels = 4, Height = 6, Width = 6, Loss = Loss.MeanSquaredError)]
public sealed partial class ProbeV6 { [Conv2d(4, 3, Padding = 1), LayerNorm, Tanh] public partial DenseBlock A { get; } [Flatten, Dense(2)] public partial DenseBlock H { get; } }
