using DslNet.Generator.Emitting;
using DslNet.Generator.Parsing;
using DslNet.Generator.Planning;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace DslNet.Generator
{
    /// <summary>
    /// The incremental pipeline: Parse ([Network] class → <see cref="NetworkSpec"/>), Plan (spec → plan and
    /// diagnostics), Emit (plan → source). Specs and plans are equatable, so unrelated edits leave outputs cached.
    /// </summary>
    [Generator(LanguageNames.CSharp)]
    public sealed class NetworkGenerator : IIncrementalGenerator
    {
        public void Initialize(IncrementalGeneratorInitializationContext context)
        {
            var specs = context.SyntaxProvider
                .ForAttributeWithMetadataName(
                    NetworkParser.NetworkAttributeName,
                    static (node, _) => node is TypeDeclarationSyntax,
                    static (syntax, cancellationToken) => NetworkParser.Parse(syntax, cancellationToken))
                .WithTrackingName(TrackingNames.Spec);

            var plans = specs
                .Where(static spec => spec != null)
                .Select(static (spec, _) => NetworkPlanner.Plan(spec!))
                .WithTrackingName(TrackingNames.Plan);

            // Source: emitted again only when a plan changes.
            context.RegisterSourceOutput(plans.Select(static (result, _) => result.Plan), static (output, plan) =>
            {
                if (plan is null) return;
                var hint = (plan.Namespace == null ? "" : plan.Namespace + ".") + plan.ClassName;
                output.AddSource(hint + ".Model.g.cs", ModelSurfaceEmitter.Emit(plan));
                output.AddSource(hint + ".Cpu.g.cs", CpuPathEmitter.Emit(plan));
            });

            // Image models have their own plan and emitters (see Emitting/Spatial); their device path is emitted below.
            context.RegisterSourceOutput(plans.Select(static (result, _) => result.SpatialPlan), static (output, plan) =>
            {
                if (plan is null) return;
                var hint = (plan.Namespace == null ? "" : plan.Namespace + ".") + plan.ClassName;
                output.AddSource(hint + ".Model.g.cs", Emitting.Spatial.SpatialModelEmitter.Emit(plan));
                output.AddSource(hint + ".Cpu.g.cs", Emitting.Spatial.SpatialCpuEmitter.Emit(plan));
            });

            // An invalid model still gets its partial properties (bodies that throw), so only the DSL diagnostic shows.
            context.RegisterSourceOutput(plans.Select(static (result, _) => result.Placeholder), static (output, placeholder) =>
            {
                if (placeholder is null) return;
                var hint = (placeholder.Namespace == null ? "" : placeholder.Namespace + ".") + placeholder.ClassName;
                output.AddSource(hint + ".Placeholder.g.cs", PlaceholderEmitter.Emit(placeholder));
            });

            // The device path needs ILGPU's types: emitted only when the compilation references ILGPU (DslNet.Runtime brings
            // it), so a compilation without it still builds, and its models report a clear error for a GPU device.
            var usesIlgpu = context.CompilationProvider
                .Select(static (compilation, _) => compilation.GetTypeByMetadataName("ILGPU.KernelConfig") != null);
            context.RegisterSourceOutput(plans.Select(static (result, _) => result.Plan).Combine(usesIlgpu), static (output, pair) =>
            {
                var plan = pair.Left;
                if (plan is null || !pair.Right) return;
                var hint = (plan.Namespace == null ? "" : plan.Namespace + ".") + plan.ClassName;
                output.AddSource(hint + ".Gpu.g.cs", GpuPathEmitter.Emit(plan));
            });
            context.RegisterSourceOutput(plans.Select(static (result, _) => result.SpatialPlan).Combine(usesIlgpu), static (output, pair) =>
            {
                var plan = pair.Left;
                if (plan is null || !pair.Right) return;
                var hint = (plan.Namespace == null ? "" : plan.Namespace + ".") + plan.ClassName;
                output.AddSource(hint + ".Gpu.g.cs", Emitting.Spatial.SpatialGpuEmitter.Emit(plan));
            });

            // Diagnostics: placed in the current compilation's syntax trees, so that #pragma warning disable and
            // per-file .editorconfig severities apply to them. Only models with diagnostics pay for the combine.
            var diagnostics = plans
                .Select(static (result, _) => result.Diagnostics)
                .Where(static diagnostics => diagnostics.Count > 0)
                .Combine(context.CompilationProvider);
            context.RegisterSourceOutput(diagnostics, static (output, pair) =>
            {
                foreach (var diagnostic in pair.Left)
                    output.ReportDiagnostic(diagnostic.ToDiagnostic(pair.Right));
            });
        }
    }

    /// <summary>Step names that tests use to check incremental caching.</summary>
    public static class TrackingNames
    {
        public const string Spec = "DslNet.Spec";
        public const string Plan = "DslNet.Plan";
    }
}
