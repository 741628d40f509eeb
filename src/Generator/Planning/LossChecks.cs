using System.Collections.Generic;
using DslNet.Generator.Common;
using DslNet.Generator.Parsing;

namespace DslNet.Generator.Planning
{
    /// <summary>The [Network] loss settings' checks, shared by the feature and the image planner.</summary>
    internal static class LossChecks
    {
        /// <summary>DSL0038: label smoothing outside [0, 1], or set for a loss without classes to smooth over.</summary>
        public static void Check(NetworkSpec spec, List<DiagnosticInfo> diagnostics)
        {
            var smoothing = spec.LabelSmoothing;
            if (smoothing == 0) return;
            string? problem = null;
            if (!(smoothing >= 0 && smoothing <= 1))
                problem = "it must be in [0, 1] (the weight moved from the true class to the uniform distribution over classes)";
            else if (spec.Loss != LossKind.CrossEntropy)
                problem = $"label smoothing applies to Loss.CrossEntropy only (PyTorch's CrossEntropyLoss(label_smoothing)), not {spec.Loss}";
            if (problem != null)
                diagnostics.Add(DiagnosticInfo.Create(Diagnostics.InvalidLabelSmoothing, spec.Location, spec.ClassName,
                    smoothing.ToString("R", System.Globalization.CultureInfo.InvariantCulture), problem));
        }
    }
}
