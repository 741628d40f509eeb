using Microsoft.CodeAnalysis;

namespace DslNet.Generator.Analyzers
{
    /// <summary>
    /// The runtime types the training-loop rules are keyed on, resolved once per compilation by metadata name.
    /// A type the referenced runtime does not (yet) declare is null and the rules that need it stay silent.
    /// </summary>
    internal sealed class KnownTypes
    {
        private KnownTypes(Compilation compilation)
        {
            Optimizer = Get(compilation, "DslNet.Optimizer");
            Adam = Get(compilation, "DslNet.Adam");
            AdamW = Get(compilation, "DslNet.AdamW");
            Scheduler = Get(compilation, "DslNet.ILearningRateScheduler");
            OneCycleLR = Get(compilation, "DslNet.OneCycleLR");
            StepLR = Get(compilation, "DslNet.StepLR");
            CosineAnnealingLR = Get(compilation, "DslNet.CosineAnnealingLR");
            CosineAnnealingWarmRestarts = Get(compilation, "DslNet.CosineAnnealingWarmRestarts");
            LinearWarmup = Get(compilation, "DslNet.LinearWarmup");
            SequentialLR = Get(compilation, "DslNet.SequentialLR");
            ScheduleUnit = Get(compilation, "DslNet.ScheduleUnit");
            GradScaler = Get(compilation, "DslNet.GradScaler");
            GradientAccumulator = Get(compilation, "DslNet.GradientAccumulator");
            GradClip = Get(compilation, "DslNet.GradClip");
            DataSet = Get(compilation, "DslNet.DataSet");
            DeviceDataSet = Get(compilation, "DslNet.Devices.DeviceDataSet");
            Network = Get(compilation, "DslNet.INetwork");
            NetworkAttribute = Get(compilation, "DslNet.NetworkAttribute");
            Precision = Get(compilation, "DslNet.Precision");
            Device = Get(compilation, "DslNet.Device");
            SupportedPrecisionsAttribute = Get(compilation, "DslNet.SupportedPrecisionsAttribute");
            Trainer = Get(compilation, "DslNet.Trainer");
            TrainerOptions = Get(compilation, "DslNet.TrainerOptions");
            ScheduleContext = Get(compilation, "DslNet.ScheduleContext");
        }

        public INamedTypeSymbol? Optimizer { get; }
        public INamedTypeSymbol? Adam { get; }
        public INamedTypeSymbol? AdamW { get; }
        public INamedTypeSymbol? Scheduler { get; }
        public INamedTypeSymbol? OneCycleLR { get; }
        public INamedTypeSymbol? StepLR { get; }
        public INamedTypeSymbol? CosineAnnealingLR { get; }
        public INamedTypeSymbol? CosineAnnealingWarmRestarts { get; }
        public INamedTypeSymbol? LinearWarmup { get; }
        public INamedTypeSymbol? SequentialLR { get; }
        public INamedTypeSymbol? ScheduleUnit { get; }
        public INamedTypeSymbol? GradScaler { get; }
        public INamedTypeSymbol? GradientAccumulator { get; }
        public INamedTypeSymbol? GradClip { get; }
        public INamedTypeSymbol? DataSet { get; }

        /// <summary>Its <c>TrainStep(batch)</c> gathers a batch on the device and runs the model's training step.</summary>
        public INamedTypeSymbol? DeviceDataSet { get; }
        public INamedTypeSymbol? Network { get; }
        public INamedTypeSymbol? NetworkAttribute { get; }
        public INamedTypeSymbol? Precision { get; }
        public INamedTypeSymbol? Device { get; }
        public INamedTypeSymbol? SupportedPrecisionsAttribute { get; }
        public INamedTypeSymbol? Trainer { get; }
        public INamedTypeSymbol? TrainerOptions { get; }
        public INamedTypeSymbol? ScheduleContext { get; }

        /// <summary>Null when the compilation does not reference the DslNet runtime at all: nothing to analyze.</summary>
        public static KnownTypes? Create(Compilation compilation)
        {
            var types = new KnownTypes(compilation);
            return types.Optimizer is null && types.Precision is null && types.Network is null ? null : types;
        }

        private static INamedTypeSymbol? Get(Compilation compilation, string metadataName) =>
            compilation.GetTypeByMetadataName(metadataName);

        public static bool Is(ITypeSymbol? type, INamedTypeSymbol? expected) =>
            type is not null && expected is not null && SymbolEqualityComparer.Default.Equals(type.OriginalDefinition, expected);

        /// <summary>The type is <paramref name="baseType"/> or derives from it (classes only).</summary>
        public static bool DerivesFrom(ITypeSymbol? type, INamedTypeSymbol? baseType)
        {
            if (baseType is null) return false;
            for (var t = type; t is not null; t = t.BaseType)
                if (SymbolEqualityComparer.Default.Equals(t.OriginalDefinition, baseType)) return true;
            return false;
        }

        public static bool Implements(ITypeSymbol? type, INamedTypeSymbol? @interface)
        {
            if (type is null || @interface is null) return false;
            if (SymbolEqualityComparer.Default.Equals(type.OriginalDefinition, @interface)) return true;
            foreach (var i in type.AllInterfaces)
                if (SymbolEqualityComparer.Default.Equals(i.OriginalDefinition, @interface)) return true;
            return false;
        }

        // Every invocation asks these about its receiver and containing type: answers are kept per type (per compilation:
        // this object lives in one compilation-start action).
        private readonly System.Collections.Concurrent.ConcurrentDictionary<ITypeSymbol, Kind> _kinds =
            new System.Collections.Concurrent.ConcurrentDictionary<ITypeSymbol, Kind>(SymbolEqualityComparer.Default);

        private readonly struct Kind
        {
            public Kind(bool optimizer, bool scheduler, bool model, bool runtime)
            {
                Optimizer = optimizer;
                Scheduler = scheduler;
                Model = model;
                Runtime = runtime || optimizer || scheduler || model;
            }

            public bool Optimizer { get; }
            public bool Scheduler { get; }
            public bool Model { get; }
            public bool Runtime { get; }
        }

        private Kind KindOf(ITypeSymbol type) =>
            _kinds.GetOrAdd(type, t => new Kind(DerivesFrom(t, Optimizer), ComputeIsScheduler(t), ComputeIsModel(t), IsInRuntimeNamespace(t)));

        /// <summary>A type of the DslNet runtime (or derived from one), or a model: what the training-loop rules are about.</summary>
        public bool IsRuntime(ITypeSymbol? type) => type is not null && KindOf(type).Runtime;

        private static bool IsInRuntimeNamespace(ITypeSymbol type) => IsNamespace(type.OriginalDefinition.ContainingNamespace, "DslNet");

        /// <summary>
        /// Whether <paramref name="ns"/> is the namespace written <paramref name="dotted"/> (<c>System.Collections.Generic</c>),
        /// compared name by name from the innermost: <c>ToDisplayString()</c> builds a string on every call.
        /// </summary>
        public static bool IsNamespace(INamespaceSymbol? ns, string dotted)
        {
            var end = dotted.Length;
            while (ns is not null && !ns.IsGlobalNamespace)
            {
                var start = dotted.LastIndexOf('.', end - 1) + 1;
                var name = ns.Name;
                if (end - start != name.Length || string.CompareOrdinal(dotted, start, name, 0, name.Length) != 0) return false;
                ns = ns.ContainingNamespace;
                if (start == 0) return ns is null || ns.IsGlobalNamespace;
                end = start - 1;
            }
            return false;
        }

        /// <summary>Whether <paramref name="type"/> is the top-level type <paramref name="name"/> of namespace <paramref name="ns"/>.</summary>
        public static bool IsType(ITypeSymbol? type, string ns, string name) =>
            type is not null && type.Name == name && type.ContainingType is null && IsNamespace(type.ContainingNamespace, ns);

        public bool IsOptimizer(ITypeSymbol? type) => type is not null && KindOf(type).Optimizer;

        public bool IsScheduler(ITypeSymbol? type) => type is not null && KindOf(type).Scheduler;

        private bool ComputeIsScheduler(ITypeSymbol? type) =>
            Implements(type, Scheduler) || Is(type, OneCycleLR) || Is(type, StepLR) || Is(type, CosineAnnealingLR)
            || Is(type, CosineAnnealingWarmRestarts) || Is(type, LinearWarmup) || Is(type, SequentialLR);

        /// <summary>A generated model: implements INetwork, or is a [Network] class (before the generator ran).</summary>
        public bool IsModel(ITypeSymbol? type) => type is not null && KindOf(type).Model;

        private bool ComputeIsModel(ITypeSymbol? type)
        {
            if (type is null) return false;
            if (Implements(type, Network)) return true;
            if (NetworkAttribute is null) return false;
            foreach (var attribute in type.GetAttributes())
                if (SymbolEqualityComparer.Default.Equals(attribute.AttributeClass, NetworkAttribute)) return true;
            return false;
        }
    }
}
