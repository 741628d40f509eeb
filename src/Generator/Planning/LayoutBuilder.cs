using System.Collections.Generic;
using DslNet.Generator.Common;

namespace DslNet.Generator.Planning
{
    /// <summary>Hands out consecutive offsets in each flat buffer.</summary>
    internal sealed class LayoutBuilder
    {
        // Array.MaxLength for a float[]: every flat buffer and every per-row workspace must stay below it.
        private const long MaxBufferLength = 0x7FFFFFC7;

        public int Parameters { get; private set; }
        public int RunningStatistics { get; private set; }
        public int ActivationsPerRow { get; private set; }
        public int Scratch { get; private set; }

        public int AddParameters(int count) => (Parameters += count) - count;
        public int AddRunningStatistics(int count) => (RunningStatistics += count) - count;
        public int AddActivations(int count) => (ActivationsPerRow += count) - count;
        public int AddScratch(int count) => (Scratch += count) - count;

        /// <summary>Whether a block of this size still fits; reports DSL0015 where it does not.</summary>
        public bool Fits(string block, int inputs, int units, LocationInfo? location, List<DiagnosticInfo> diagnostics, long extraParameters = 0)
        {
            var parameters = Parameters + (long)inputs * units + 3L * units + extraParameters;
            var activations = ActivationsPerRow + 4L * units + (units + 31) / 32 + (extraParameters > 0 ? units : 0);
            var (what, total) = parameters > MaxBufferLength ? ("parameters", parameters) : ("activations per row", activations);
            if (total <= MaxBufferLength) return true;
            diagnostics.Add(DiagnosticInfo.Create(Diagnostics.NetworkTooLarge, location, block, what, total, MaxBufferLength));
            return false;
        }
    }
}
