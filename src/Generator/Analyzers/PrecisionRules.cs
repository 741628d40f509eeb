using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace DslNet.Generator.Analyzers
{
    /// <summary>
    /// DSL3001–DSL3003, keyed on a <c>DslNet.Precision</c> enum passed as a constant <c>precision:</c> argument. They
    /// stay silent until the runtime declares that enum. Which precisions a device runs is read from
    /// <c>[SupportedPrecisions(…)]</c> on the <c>DslNet.Device</c> member the code names (a field, property or method).
    /// </summary>
    internal static class PrecisionRules
    {
        public static void Run(TrainingBody body, Reporter report)
        {
            var precisionType = body.Types.Precision;
            if (precisionType is null || body.PrecisionArguments.Count == 0) return;

            var constants = new List<(IArgumentOperation Argument, string Name, object Value)>();
            foreach (var argument in body.PrecisionArguments)
            {
                if (argument.ArgumentKind == ArgumentKind.DefaultValue) continue;
                var constant = body.ConstantOf(argument.Value);
                if (!constant.HasValue) continue;
                var value = constant.Value;
                var name = SchedulerRules.EnumMemberName(precisionType, value);
                if (name is not null && value is not null) constants.Add((argument, name, value));
            }
            if (constants.Count == 0) return;

            var trains = body.Calls.Any(c => c.Kind == CallKind.TrainStep);
            var fp16 = constants.Where(c => c.Name == "Fp16").ToList();
            if (trains && !body.UsesGradScaler)
                foreach (var argument in fp16)
                    report.Report(Diagnostics.Fp16WithoutGradScaler, argument.Argument.Syntax,
                        Shown(argument.Argument, argument.Name), ScalerFix);

            if (fp16.Count == 0 && constants.Any(c => c.Name == "Bf16"))
                foreach (var creation in body.Creations.Where(c => KnownTypes.Is(c.Type, body.Types.GradScaler)))
                    report.Report(Diagnostics.LossScalingNotNeeded, creation.Syntax);

            foreach (var constant in constants)
                CheckDevice(body, constant.Argument, constant.Name, constant.Value, report);
        }

        internal const string ScalerFix =
            "create a GradScaler, pass 'scaler.Scale' to TrainStep, then call 'scaler.Unscale(optimizer)' before clipping and 'scaler.Step(optimizer)' and 'scaler.Update()'";

        /// <summary>The precision argument as written, and its value when the code names it through a variable: <c>'precision: mixed' = Precision.Fp16</c>.</summary>
        internal static string Shown(IArgumentOperation argument, string name)
        {
            var text = argument.Syntax.ToString();
            return text.EndsWith("." + name, StringComparison.Ordinal) ? "'" + text + "'" : "'" + text + "' = Precision." + name;
        }

        /// <summary>The constant precision a model was created with (<c>new Net(seed, device, Precision.Fp16)</c>), by enum member name.</summary>
        internal static (IArgumentOperation Argument, string Name)? PrecisionOf(TrainingBody body, IObjectCreationOperation? model)
        {
            if (model is null || body.Types.Precision is null) return null;
            foreach (var argument in model.Arguments)
            {
                if (argument.ArgumentKind == ArgumentKind.DefaultValue || !KnownTypes.Is(argument.Parameter?.Type, body.Types.Precision)) continue;
                var value = body.ConstantOf(argument.Value);
                if (!value.HasValue) continue;
                var name = SchedulerRules.EnumMemberName(body.Types.Precision, value.Value);
                if (name is not null) return (argument, name);
            }
            return null;
        }

        private static void CheckDevice(TrainingBody body, IArgumentOperation precision, string precisionName, object value, Reporter report)
        {
            var types = body.Types;
            if (types.Device is null || types.SupportedPrecisionsAttribute is null) return;
            var arguments = precision.Parent switch
            {
                IInvocationOperation invocation => invocation.Arguments,
                IObjectCreationOperation creation => creation.Arguments,
                _ => default,
            };
            if (arguments.IsDefaultOrEmpty) return;
            var device = arguments.FirstOrDefault(a => KnownTypes.DerivesFrom(a.Parameter?.Type, types.Device));
            if (device is null || device.ArgumentKind == ArgumentKind.DefaultValue) return;

            var member = DeviceMember(body, device.Value, 0);
            if (member is null) return;
            var supported = new List<(object Value, string Name)>();
            foreach (var attribute in member.GetAttributes())
            {
                if (!SymbolEqualityComparer.Default.Equals(attribute.AttributeClass, types.SupportedPrecisionsAttribute)) continue;
                foreach (var argument in attribute.ConstructorArguments)
                {
                    var values = argument.Kind == TypedConstantKind.Array ? argument.Values : new[] { argument }.ToImmutableArrayOrEmpty();
                    foreach (var item in values)
                        if (item.Value is not null)
                            supported.Add((item.Value, SchedulerRules.EnumMemberName(types.Precision!, item.Value) ?? item.Value.ToString()!));
                }
            }
            if (supported.Count == 0 || supported.Any(s => Equals(s.Value, value))) return;
            var deviceName = member.ContainingType.Name + "." + member.Name;
            var deviceText = device.Value.Syntax.ToString();
            report.Report(Diagnostics.PrecisionNotSupportedByDevice, precision.Syntax,
                deviceText.StartsWith(deviceName, StringComparison.Ordinal) ? deviceText : deviceName + " ('" + deviceText + "')", "Precision." + precisionName, string.Join(", ", supported.Select(s => "Precision." + s.Name)));
        }

        /// <summary>The Device member an expression names: <c>Device.Cpu</c>, <c>Device.Cuda(0)</c>, or a local initialized from one.</summary>
        private static ISymbol? DeviceMember(TrainingBody body, IOperation value, int depth)
        {
            if (depth > 4) return null;
            switch (TrainingBody.Unwrap(value))
            {
                case IPropertyReferenceOperation property: return property.Property;
                case IFieldReferenceOperation field: return field.Field;
                case IInvocationOperation invocation: return invocation.TargetMethod;
                case ILocalReferenceOperation local when !body.IsReassigned(local.Local):
                    return body.InitializerOf(local.Local) is { } initializer ? DeviceMember(body, initializer, depth + 1) : null;
                default: return null;
            }
        }

        private static System.Collections.Immutable.ImmutableArray<TypedConstant> ToImmutableArrayOrEmpty(this TypedConstant[] values) =>
            System.Collections.Immutable.ImmutableArray.Create(values);
    }
}
