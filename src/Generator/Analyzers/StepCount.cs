using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;

namespace DslNet.Generator.Analyzers
{
    /// <summary>
    /// A number of steps as the analyzers see it: a constant coefficient times a product of symbolic factors
    /// (a loop bound such as <c>epochs</c>, or the batches of one epoch of a data set at one batch size). Two counts
    /// built from the same symbols can be compared without knowing their values.
    /// </summary>
    internal sealed class StepCount : IEquatable<StepCount>
    {
        private StepCount(long coefficient, ImmutableArray<StepFactor> factors)
        {
            Coefficient = coefficient;
            Factors = factors;
        }

        public long Coefficient { get; }

        /// <summary>Sorted by key, so equal products compare equal.</summary>
        public ImmutableArray<StepFactor> Factors { get; }

        public bool IsConstant => Factors.IsEmpty;

        public static readonly StepCount One = new StepCount(1, ImmutableArray<StepFactor>.Empty);

        public static StepCount Constant(long value) => new StepCount(value, ImmutableArray<StepFactor>.Empty);

        public static StepCount Of(StepFactor factor) => new StepCount(1, ImmutableArray.Create(factor));

        /// <summary>The product, or null when the coefficient would overflow (then nothing is provable).</summary>
        public StepCount? Times(StepCount other)
        {
            long coefficient;
            try { coefficient = checked(Coefficient * other.Coefficient); }
            catch (OverflowException) { return null; }
            return new StepCount(coefficient, Factors.AddRange(other.Factors).Sort(StepFactorComparer.Instance));
        }

        /// <summary>Factors of this count that <paramref name="other"/> lacks (as a multiset).</summary>
        public List<StepFactor> Without(StepCount other)
        {
            var remaining = other.Factors.Select(f => f.Key).ToList();
            var result = new List<StepFactor>();
            foreach (var factor in Factors)
            {
                var index = remaining.IndexOf(factor.Key);
                if (index >= 0) remaining.RemoveAt(index);
                else result.Add(factor);
            }
            return result;
        }

        public string Display
        {
            get
            {
                if (Factors.IsEmpty) return Coefficient.ToString(System.Globalization.CultureInfo.InvariantCulture);
                var parts = Factors.Select(f => f.Display);
                if (Coefficient != 1) parts = new[] { Coefficient.ToString(System.Globalization.CultureInfo.InvariantCulture) }.Concat(parts);
                return string.Join(" * ", parts);
            }
        }

        public bool Equals(StepCount? other) =>
            other is not null && Coefficient == other.Coefficient
            && Factors.Select(f => f.Key).SequenceEqual(other.Factors.Select(f => f.Key));

        public override bool Equals(object? obj) => Equals(obj as StepCount);

        public override int GetHashCode()
        {
            var hash = Coefficient.GetHashCode();
            foreach (var factor in Factors) hash = hash * 31 + StringComparer.Ordinal.GetHashCode(factor.Key);
            return hash;
        }

        public override string ToString() => Display;
    }

    /// <summary>
    /// One symbolic factor. <see cref="DataSetKey"/> and <see cref="BatchKey"/> are set for "batches per epoch"
    /// factors (from <c>data.Batches(b, …)</c> loops and <c>data.BatchesPerEpoch(b)</c>).
    /// </summary>
    internal sealed class StepFactor
    {
        public StepFactor(string key, string display, string? dataSetKey = null, string? batchKey = null)
        {
            Key = key;
            Display = display;
            DataSetKey = dataSetKey;
            BatchKey = batchKey;
        }

        public string Key { get; }
        public string Display { get; }
        public string? DataSetKey { get; }
        public string? BatchKey { get; }
    }

    internal sealed class StepFactorComparer : IComparer<StepFactor>
    {
        public static readonly StepFactorComparer Instance = new StepFactorComparer();
        public int Compare(StepFactor? x, StepFactor? y) => string.CompareOrdinal(x?.Key, y?.Key);
    }
}
