using System.Text.Json;
using DslNet.Tests.Shared;

namespace DslNet.Runtime.Tests;

/// <summary>PyTorch's own numbers, read from the repository's tests/reference (see <see cref="ReferenceFiles"/>).</summary>
internal static class ReferenceData
{
    public static JsonElement Load(string fileName) => ReferenceFiles.Load(fileName);

    public static double[] Doubles(this JsonElement array) =>
        array.EnumerateArray().Select(ReferenceFiles.ToDouble).ToArray();

    public static float[] Floats(this JsonElement array) =>
        array.EnumerateArray().Select(e => (float)ReferenceFiles.ToDouble(e)).ToArray();
}
