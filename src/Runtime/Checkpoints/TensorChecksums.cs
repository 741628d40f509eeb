using System.Globalization;
using System.IO.Hashing;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace DslNet;

/// <summary>
/// An XxHash64 of every tensor's bytes, kept in a checkpoint's metadata (<c>dslnet/checksums</c>: a JSON object, tensor
/// name → 16 hex digits) and verified on load, so flipped or overwritten bytes inside the data are found and the
/// tensor is named. The safetensors format itself has no checksum; this one is ours.
/// </summary>
internal static class TensorChecksums
{
    public const string MetadataKey = "dslnet/checksums";

    /// <summary>The metadata value for <paramref name="tensors"/>, hashed as the writer stores them (little-endian fp32).</summary>
    public static string Describe(IReadOnlyList<SafeTensor> tensors)
    {
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("Checkpoint checksums are defined over little-endian fp32 bytes.");
        var checksums = new Dictionary<string, string>(tensors.Count, StringComparer.Ordinal);
        foreach (var tensor in tensors)
            checksums.Add(tensor.Name, Format(XxHash64.HashToUInt64(MemoryMarshal.AsBytes(tensor.Data.Span))));
        return JsonSerializer.Serialize(checksums);
    }

    /// <summary>
    /// Checks every tensor of the file against its stored checksum. Returns false when the file has no checksums
    /// (written before they existed); throws <see cref="InvalidDataException"/> naming the first tensor that differs.
    /// </summary>
    public static bool Verify(SafeTensorsReader reader)
    {
        if (!reader.Metadata.TryGetValue(MetadataKey, out var text)) return false;
        Dictionary<string, string>? stored;
        try
        {
            stored = JsonSerializer.Deserialize<Dictionary<string, string>>(text);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{reader.Source}: metadata '{MetadataKey}' is not a JSON object of tensor names to checksums ({e.Message}).");
        }

        if (stored is null)
            throw new InvalidDataException($"{reader.Source}: metadata '{MetadataKey}' is null.");

        var hash = new XxHash64();
        foreach (var entry in reader.Entries)
        {
            if (!stored.TryGetValue(entry.Name, out var expected))
                throw new InvalidDataException($"{reader.Source}: tensor '{entry.Name}' has no checksum in '{MetadataKey}': the file was altered after it was written.");
            hash.Reset();
            reader.AppendBytes(entry.Name, hash);
            var actual = Format(hash.GetCurrentHashAsUInt64());
            if (!string.Equals(actual, expected, StringComparison.OrdinalIgnoreCase))
                throw new InvalidDataException(
                    $"{reader.Source}: tensor '{entry.Name}' {entry.ShapeText} is corrupted: its bytes hash to {actual}, the checkpoint recorded {expected}.");
        }

        foreach (var name in stored.Keys)
            if (!reader.Contains(name))
                throw new InvalidDataException($"{reader.Source}: tensor '{name}' has a checksum but is not in the file: the file was altered after it was written.");
        return true;
    }

    private static string Format(ulong value) => value.ToString("x16", CultureInfo.InvariantCulture);
}
