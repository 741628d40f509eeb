using System.Collections.Generic;
using System.Linq;
using DslNet.Generator.Common;

namespace DslNet.Generator.Planning.Spatial
{
    /// <summary>
    /// The image model's graph as planning builds it: values (each with its output and gradient regions in the per-row
    /// workspace), steps in forward order with their consumers, named tensors, and the flat layouts.
    /// </summary>
    internal sealed class SpatialGraph
    {
        public SpatialGraph(ValueShape? input)
        {
            var shape = input ?? ValueShape.Features(1);
            Values.Add(new Value("Input", shape, -1, -1, -1));
            if (!shape.IsSpatial || shape.Channels == 1) return;
            // NCHW → NHWC once at the input. One channel needs no conversion: the value is the caller's rows.
            var converted = AddValue("InputChannelsLast", shape, producer: 0, hasGradient: false);
            AddStep(new SpatialStep(0, "InputChannelsLast", -1, SpatialStepKind.ToChannelsLast, 0, converted, shape, shape, GradientMode.None));
        }

        public List<Value> Values { get; } = new List<Value>();
        public List<SpatialStep> Steps { get; } = new List<SpatialStep>();
        public LayoutBuilder Layout { get; } = new LayoutBuilder();
        public List<TensorPlan> ParameterTensors { get; } = new List<TensorPlan>();
        public List<TensorPlan> RunningStatisticTensors { get; } = new List<TensorPlan>();
        public Dictionary<string, int> BlockOutputs { get; } = new Dictionary<string, int>();

        /// <summary>The value the next block reads: the last step's output (the network input before any).</summary>
        public int Current => Steps.Count == 0 ? 0 : Steps[Steps.Count - 1].Output;

        /// <summary>The widest value with a gradient: the region an overwriting kernel writes to before its result is added.</summary>
        public int LargestGradient => Values.Where(v => v.HasGradient).Select(v => v.Shape.Size).DefaultIfEmpty(0).Max();

        public int AddValue(string name, ValueShape shape, int producer, bool hasGradient = true)
        {
            var output = Layout.AddActivations(shape.Size);
            var gradient = hasGradient ? Layout.AddActivations(shape.Size) : -1;
            Values.Add(new Value(name, shape, output, gradient, producer));
            return Values.Count - 1;
        }

        public int AddStep(SpatialStep step)
        {
            step = step with { Index = Steps.Count };
            Steps.Add(step);
            if (step.Kind != SpatialStepKind.ToChannelsLast) Values[step.Input].Consumers.Add(step.Index);
            if (step.Skip >= 0) Values[step.Skip].Consumers.Add(step.Index);
            return step.Index;
        }

        /// <summary>The index the next step will have (its values name it as their producer).</summary>
        public int NextStep => Steps.Count;

        public int AddParameter(string name, string kind, params int[] shape)
        {
            var tensor = new TensorPlan(name, kind, Layout.Parameters, shape.ToEquatableArray());
            ParameterTensors.Add(tensor);
            return Layout.AddParameters(tensor.Length);
        }

        public int AddRunningStatistic(string name, string kind, int length)
        {
            RunningStatisticTensors.Add(new TensorPlan(name, kind, Layout.RunningStatistics, new[] { length }.ToEquatableArray()));
            return Layout.AddRunningStatistics(length);
        }

        public List<ValuePlan> BuildValues() =>
            Values.Select((v, id) => new ValuePlan(id, v.Name, v.Shape, v.OutputRowOffset, v.GradientRowOffset, v.Producer, v.Consumers.ToEquatableArray()))
                .ToList();

        internal sealed class Value
        {
            public Value(string name, ValueShape shape, int outputRowOffset, int gradientRowOffset, int producer)
            {
                Name = name;
                Shape = shape;
                OutputRowOffset = outputRowOffset;
                GradientRowOffset = gradientRowOffset;
                Producer = producer;
            }

            public string Name { get; }
            public ValueShape Shape { get; }
            public int OutputRowOffset { get; }
            public int GradientRowOffset { get; }
            public int Producer { get; }
            public List<int> Consumers { get; } = new List<int>();
            public bool HasGradient => GradientRowOffset >= 0;
        }
    }
}
