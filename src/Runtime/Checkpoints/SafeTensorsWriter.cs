using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace DslNet;

/// <summary>
/// Writes fp32 tensors in the safetensors format (Hugging Face), which PyTorch (<c>safetensors.torch.load_file</c>),
/// NumPy, JAX and most model tools read.
/// </summary>
/// <remarks>
/// The layout, from the format's specification: an unsigned 64-bit little-endian header length <c>N</c>; <c>N</c>
/// bytes of UTF-8 JSON, <c>{"__metadata__": {string: string}, "name": {"dtype": "F32", "shape": [...],
/// "data_offsets": [begin, end]}, ...}</c>, padded with spaces so the data starts on an 8-byte boundary; then the
/// data section, each tensor's little-endian values row-major, back to back with no gaps, offsets counted from the
/// start of the data section. Tensors are written in the order given.
/// </remarks>
public static class SafeTensorsWriter
{
    internal const string MetadataKey = "__metadata__";

    private static readonly JsonWriterOptions JsonOptions = new()
    {
        // Valid JSON either way; the relaxed encoder keeps non-ASCII names readable in the header.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Indented = false,
    };

    /// <summary>Writes the file atomically (temporary file, flushed, renamed; see <see cref="AtomicFile"/>).</summary>
    public static void Write(string path, IReadOnlyList<SafeTensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var header = BuildHeader(tensors, metadata);
        AtomicFile.Write(path, stream => WriteTo(stream, header, tensors));
    }

    /// <summary>Writes the file to <paramref name="stream"/> at its current position.</summary>
    public static void Write(Stream stream, IReadOnlyList<SafeTensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        WriteTo(stream, BuildHeader(tensors, metadata), tensors);
    }

    /// <summary>The header's JSON, padded with spaces to a multiple of 8 bytes; validates names first.</summary>
    private static byte[] BuildHeader(IReadOnlyList<SafeTensor> tensors, IReadOnlyDictionary<string, string>? metadata)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var tensor in tensors)
        {
            if (tensor.Name is null)
                throw new ArgumentException("A tensor has no name (a default SafeTensor).", nameof(tensors));
            if (tensor.Name == MetadataKey)
                throw new ArgumentException($"'{MetadataKey}' is reserved by the safetensors format and cannot name a tensor.", nameof(tensors));
            if (!names.Add(tensor.Name))
                throw new ArgumentException($"Two tensors are named '{tensor.Name}'.", nameof(tensors));
        }

        var json = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(json, JsonOptions))
        {
            writer.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                writer.WriteStartObject(MetadataKey);
                foreach (var (key, value) in metadata)
                {
                    ArgumentNullException.ThrowIfNull(value, $"metadata[{key}]");
                    writer.WriteString(key, value);
                }

                writer.WriteEndObject();
            }

            long offset = 0;
            foreach (var tensor in tensors)
            {
                var end = offset + (long)tensor.Data.Length * sizeof(float);
                writer.WriteStartObject(tensor.Name);
                writer.WriteString("dtype", "F32");
                writer.WriteStartArray("shape");
                foreach (var dimension in tensor.Shape) writer.WriteNumberValue(dimension);
                writer.WriteEndArray();
                writer.WriteStartArray("data_offsets");
                writer.WriteNumberValue(offset);
                writer.WriteNumberValue(end);
                writer.WriteEndArray();
                writer.WriteEndObject();
                offset = end;
            }

            writer.WriteEndObject();
        }

        var padded = (json.WrittenCount + 7) / 8 * 8;
        var header = new byte[padded];
        json.WrittenSpan.CopyTo(header);
        header.AsSpan(json.WrittenCount).Fill((byte)' ');
        return header;
    }

    private static void WriteTo(Stream stream, byte[] header, IReadOnlyList<SafeTensor> tensors)
    {
        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
        stream.Write(length);
        stream.Write(header);
        foreach (var tensor in tensors) WriteLittleEndian(stream, tensor.Data.Span);
    }

    private static void WriteLittleEndian(Stream stream, ReadOnlySpan<float> values)
    {
        if (BitConverter.IsLittleEndian)
        {
            stream.Write(MemoryMarshal.AsBytes(values));
            return;
        }

        var chunk = ArrayPool<byte>.Shared.Rent(1 << 16);
        try
        {
            var perChunk = chunk.Length / sizeof(float);
            for (var start = 0; start < values.Length; start += perChunk)
            {
                var count = Math.Min(perChunk, values.Length - start);
                for (var i = 0; i < count; i++)
                    BinaryPrimitives.WriteSingleLittleEndian(chunk.AsSpan(i * sizeof(float)), values[start + i]);
                stream.Write(chunk, 0, count * sizeof(float));
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }
    }
}
