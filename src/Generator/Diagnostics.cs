using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;

namespace DslNet.Generator
{
    /// <summary>
    /// Every diagnostic the generator and analyzers report. IDs: DSL0xxx model definition, DSL1xxx schedulers,
    /// DSL2xxx optimizers and clipping, DSL3xxx precision. Each is explained in docs/diagnostics.md.
    /// </summary>
    internal static class Diagnostics
    {
        private const string ModelCategory = "DslNet.Model";

        public static readonly DiagnosticDescriptor NetworkNotPartial = Error(
            "DSL0001",
            "Network class must be partial",
            "Network class '{0}' must be declared 'partial' so the generator can add its forward and backward code");

        public static readonly DiagnosticDescriptor NetworkHasNoBlocks = Error(
            "DSL0002",
            "Network has no blocks",
            "Network '{0}' has no blocks: declare at least one 'public partial DenseBlock Name {{ get; }}' with a [Dense(units)] attribute");

        public static readonly DiagnosticDescriptor NonPositiveWidth = Error(
            "DSL0003",
            "Width must be positive",
            "{0} is {1}: a width must be a positive number of features");

        public static readonly DiagnosticDescriptor DropoutRateOutOfRange = Error(
            "DSL0004",
            "Dropout rate outside [0, 1)",
            "Dropout rate {0} on '{1}' is outside [0, 1): it is the probability of dropping a unit, e.g. 0.1 to 0.5");

        public static readonly DiagnosticDescriptor GroupsDoNotDivideWidth = Error(
            "DSL0005",
            "GroupNorm groups must divide the width",
            "GroupNorm({0}) on '{1}' cannot split {2} features into equal groups: use a positive divisor of {2}");

        public static readonly DiagnosticDescriptor InvalidLayerCombination = Error(
            "DSL0006",
            "Invalid layer combination in a block",
            "Block '{0}': {1}. A block is [Dense(units)] followed by at most one normalization, one activation and one Dropout, in that order.");

        public static readonly DiagnosticDescriptor XavierBeforeRelu = Warning(
            "DSL0007",
            "Xavier initialization in front of a ReLU-like activation",
            "Block '{0}' uses {1} in front of {2}: Xavier keeps the variance for symmetric activations, but a ReLU halves it at every layer and deep stacks vanish; use Init.HeNormal (or Init.Auto)");

        public static readonly DiagnosticDescriptor BiasBeforeBatchNorm = Info(
            "DSL0008",
            "Bias followed by BatchNorm is redundant",
            "Block '{0}': BatchNorm subtracts the batch mean, which cancels the Dense bias; set Bias = false to save the parameters (its gradient is always zero)");

        public static readonly DiagnosticDescriptor InvalidBlockProperty = Error(
            "DSL0009",
            "Block property has the wrong form",
            "Block '{0}' must be declared as 'partial DenseBlock {0} {{ get; }}': {1}");

        public static readonly DiagnosticDescriptor UnsupportedNetworkClass = Error(
            "DSL0010",
            "Network class shape not supported",
            "Network class '{0}' cannot be {1}: declare it as a non-generic, non-static class");

        public static readonly DiagnosticDescriptor InvalidNormalizationSetting = Error(
            "DSL0011",
            "Invalid normalization setting",
            "{0} on '{1}' has {2} = {3}: {4}");

        public static readonly DiagnosticDescriptor ActivationBeforeLogitsLoss = Warning(
            "DSL0012",
            "Output activation in front of a loss that takes logits",
            "Block '{0}' ends the network with {1}, but {2} applies its own {3} to the logits: remove {1} from the last block (apply it to Predict's outputs instead)");

        public static readonly DiagnosticDescriptor TooFewClasses = Error(
            "DSL0013",
            "CrossEntropy needs at least two classes",
            "The last block '{0}' has {1} output(s), but CrossEntropy needs one output per class (at least 2); for a yes/no target use Loss.BinaryCrossEntropyWithLogits with one output");

        public static readonly DiagnosticDescriptor DropoutOnOutput = Warning(
            "DSL0014",
            "Dropout on the network's output",
            "Block '{0}' is the last block: Dropout there zeroes logits at random and adds noise to the loss; drop units in hidden blocks instead");

        public static readonly DiagnosticDescriptor NetworkTooLarge = Error(
            "DSL0015",
            "Network too large for one flat buffer",
            "Block '{0}' brings the {1} to {2} values, more than one .NET array can hold ({3}): reduce the widths");

        public static readonly DiagnosticDescriptor ReservedBlockName = Error(
            "DSL0016",
            "Block name collides with a generated member",
            "Block '{0}' has the name of a member the generator writes ({1}): rename the property");

        private static readonly Dictionary<string, DiagnosticDescriptor> All = typeof(Diagnostics)
            .GetFields()
            .Where(f => f.FieldType == typeof(DiagnosticDescriptor))
            .Select(f => (DiagnosticDescriptor)f.GetValue(null)!)
            .ToDictionary(d => d.Id);

        public static DiagnosticDescriptor ById(string id) => All[id];

        private static DiagnosticDescriptor Error(string id, string title, string message) =>
            Create(id, title, message, DiagnosticSeverity.Error);

        private static DiagnosticDescriptor Warning(string id, string title, string message) =>
            Create(id, title, message, DiagnosticSeverity.Warning);

        private static DiagnosticDescriptor Info(string id, string title, string message) =>
            Create(id, title, message, DiagnosticSeverity.Info);

        private static DiagnosticDescriptor Create(string id, string title, string message, DiagnosticSeverity severity) =>
            new DiagnosticDescriptor(id, title, message, ModelCategory, severity, isEnabledByDefault: true,
                description: "See docs/diagnostics.md#" + id.ToLowerInvariant() + " for the reasoning and a wrong and a right example.");
    }
}
