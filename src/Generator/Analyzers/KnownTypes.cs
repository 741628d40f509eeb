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

        // Every invocation asks these about its receiver and containing type: answers are kept per type.
        private readonly System.Collections.Concurrent.ConcurrentDictionary<ITypeSymbol, (bool Optimizer, bool Scheduler, bool Model)> _kinds =
            new System.Collections.Concurrent.ConcurrentDictionary<ITypeSymbol, (bool, bool, bool)>(SymbolEqualityComparer.Default);

        private (bool Optimizer, bool Scheduler, bool Model) KindOf(ITypeSymbol type) =>
            _kinds.GetOrAdd(type, t => (DerivesFrom(t, Optimizer), ComputeIsScheduler(t), ComputeIsModel(t)));

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
