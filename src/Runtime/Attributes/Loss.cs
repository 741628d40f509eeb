namespace DslNet;

/// <summary>Training losses, each with PyTorch's mean reduction.</summary>
public enum Loss
{
    /// <summary><c>nn.BCEWithLogitsLoss</c>: one logit per row, targets in {0, 1} (or probabilities).</summary>
    BinaryCrossEntropyWithLogits,

    /// <summary><c>nn.CrossEntropyLoss</c>: softmax over the outputs, targets are class indices.</summary>
    CrossEntropy,

    /// <summary><c>nn.MSELoss</c>: mean over every output element.</summary>
    MeanSquaredError,
}
