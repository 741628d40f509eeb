using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace DslNet;

/// <summary>
/// Reads a safetensors file: opening it parses and validates the whole header (and the layout of the data
/// section against the file's length); tensors are then read on demand, as fp32.
/// </summary>
/// <remarks>
/// <para>
/// Everything the specification requires is checked, and a file that breaks a rule is refused with an
/// <see cref="InvalidDataException"/> naming the file and the rule: a header length that is absurd or runs past
/// the end of the file, a header that is not a UTF-8 JSON object, a tensor entry without a known dtype, a shape
/// of non-negative integers or two data offsets, a byte range that does not match the shape, lies outside the
/// data section, overlaps another tensor or leaves a gap, duplicate names, and metadata values that are not
/// strings.
/// </para>
/// <para>
/// F32 tensors are read as they are; F16, BF16 and F64 tensors are converted to fp32 (F64 rounds to nearest).
/// Integer, boolean and fp8 tensors are described by <see cref="Entries"/> but cannot be read as fp32.
/// </para>
/// </remarks>
public sealed class SafeTensorsReader : IDisposable
{
    /// <summary>The largest header accepted (the reference implementation's limit): 100 MB.</summary>
    public const long MaxHeaderLength = 100_000_000;

    private static readonly Dictionary<string, int> ElementSizes = new(StringComparer.Ordinal)
    {
        ["BOOL"] = 1, ["U8"] = 1, ["I8"] = 1, ["F8_E5M2"] = 1, ["F8_E4M3"] = 1,
        ["I16"] = 2, ["U16"] = 2, ["F16"] = 2, ["BF16"] = 2,
        ["I32"] = 4, ["U32"] = 4, ["F32"] = 4,
        ["I64"] = 8, ["U64"] = 8, ["F64"] = 8,
    };

    private readonly Stream _stream;
    private readonly bool _leaveOpen;
    private readonly long _dataStart;
    private readonly Dictionary<string, SafeTensorEntry> _byName;

    private SafeTensorsReader(Stream stream, bool leaveOpen, string source)
    {
        _stream = stream;
        _leaveOpen = leaveOpen;
        Source = source;
        (_dataStart, Entries, Metadata) = ReadHeader(stream, source);
        _byName = new Dictionary<string, SafeTensorEntry>(Entries.Count, StringComparer.Ordinal);
        foreach (var entry in Entries) _byName.Add(entry.Name, entry);
    }

    /// <summary>Opens and validates a file. The file stays open (read-only, shared for reading) until disposed.</summary>
    public static SafeTensorsReader Open(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16);
        try
        {
            return new SafeTensorsReader(stream, leaveOpen: false, path);
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary>Validates the safetensors content of a seekable stream, which starts at position 0.</summary>
    /// <param name="source">Names the content in error messages (a path, a URL).</param>
    public static SafeTensorsReader Open(Stream stream, string source, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (!stream.CanSeek || !stream.CanRead)
            throw new ArgumentException("The stream must be readable and seekable.", nameof(stream));
        return new SafeTensorsReader(stream, leaveOpen, source);
    }

    /// <summary>Reads every tensor of a file into memory, with the file's metadata.</summary>
    public static (IReadOnlyDictionary<string, float[]> Tensors, IReadOnlyDictionary<string, string> Metadata) ReadAll(string path)
    {
        using var reader = Open(path);
        var tensors = new Dictionary<string, float[]>(reader.Entries.Count, StringComparer.Ordinal);
        foreach (var entry in reader.Entries) tensors.Add(entry.Name, reader.Read(entry.Name));
        return (tensors, reader.Metadata);
    }

    /// <summary>The file (or the name given for the stream), as error messages show it.</summary>
    public string Source { get; }

    /// <summary>The <c>__metadata__</c> strings; empty when the file has none.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Every tensor, in the header's order.</summary>
    public IReadOnlyList<SafeTensorEntry> Entries { get; }

    public bool Contains(string name) => _byName.ContainsKey(name);

    public bool TryGetEntry(string name, out SafeTensorEntry entry) => _byName.TryGetValue(name, out entry!);

    public SafeTensorEntry GetEntry(string name) =>
        _byName.TryGetValue(name, out var entry)
            ? entry
            : throw new InvalidDataException($"{Source}: there is no tensor named '{name}'.");

    /// <summary>Whether a tensor of this dtype can be read as fp32 (F32, F16, BF16, F64).</summary>
    public static bool CanReadAsFloat(string dtype) => dtype is "F32" or "F16" or "BF16" or "F64";

    /// <summary>A tensor's values as a new fp32 array.</summary>
    public float[] Read(string name)
    {
        var entry = GetEntry(name);
        if (entry.ElementCount > Array.MaxLength)
            throw new InvalidDataException($"{Source}: tensor '{name}' has {entry.ElementCount} elements, more than one array can hold.");
        var values = new float[entry.ElementCount];
        ReadInto(entry, values);
        return values;
    }

    /// <summary>Reads a tensor's values into <paramref name="destination"/>, which must have its exact element count.</summary>
    public void Read(string name, Span<float> destination) => ReadInto(GetEntry(name), destination);

    private void ReadInto(SafeTensorEntry entry, Span<float> destination)
    {
        if (!CanReadAsFloat(entry.DType))
            throw new InvalidDataException($"{Source}: tensor '{entry.Name}' has dtype {entry.DType}; only F32, F16, BF16 and F64 tensors can be read as fp32.");
        if (entry.ElementCount != destination.Length)
            throw new ArgumentException($"{Source}: tensor '{entry.Name}' has {entry.ElementCount} elements; the destination holds {destination.Length}.", nameof(destination));

        try
        {
            _stream.Position = _dataStart + entry.Begin;
            if (entry.DType == "F32" && BitConverter.IsLittleEndian)
            {
                _stream.ReadExactly(MemoryMarshal.AsBytes(destination));
                return;
            }

            ReadConverted(entry.DType, destination);
        }
        catch (EndOfStreamException)
        {
            throw new InvalidDataException($"{Source}: the file ended while reading tensor '{entry.Name}'; it was truncated after it was opened.");
        }
    }

    /// <summary>Feeds a tensor's bytes, exactly as stored in the file, to <paramref name="hash"/>.</summary>
    public void AppendBytes(string name, System.IO.Hashing.NonCryptographicHashAlgorithm hash)
    {
        ArgumentNullException.ThrowIfNull(hash);
        var entry = GetEntry(name);
        var chunk = ArrayPool<byte>.Shared.Rent(1 << 16);
        try
        {
            _stream.Position = _dataStart + entry.Begin;
            for (var remaining = entry.ByteLength; remaining > 0;)
            {
                var bytes = chunk.AsSpan(0, (int)Math.Min(chunk.Length, remaining));
                _stream.ReadExactly(bytes);
                hash.Append(bytes);
                remaining -= bytes.Length;
            }
        }
        catch (EndOfStreamException)
        {
            throw new InvalidDataException($"{Source}: the file ended while reading tensor '{entry.Name}'; it was truncated after it was opened.");
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }
    }

    private void ReadConverted(string dtype, Span<float> destination)
    {
        var size = ElementSizes[dtype];
        var chunk = ArrayPool<byte>.Shared.Rent(1 << 16);
        try
        {
            var perChunk = chunk.Length / size;
            for (var start = 0; start < destination.Length; start += perChunk)
            {
                var count = Math.Min(perChunk, destination.Length - start);
                var bytes = chunk.AsSpan(0, count * size);
                _stream.ReadExactly(bytes);
                var into = destination.Slice(start, count);
                switch (dtype)
                {
                    case "F32":
                        for (var i = 0; i < count; i++) into[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes[(i * 4)..]);
                        break;
                    case "F16":
                        for (var i = 0; i < count; i++) into[i] = (float)BinaryPrimitives.ReadHalfLittleEndian(bytes[(i * 2)..]);
                        break;
                    case "BF16":
                        // bf16 is the upper half of an fp32: widening is exact.
                        for (var i = 0; i < count; i++)
                            into[i] = BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(bytes[(i * 2)..]) << 16);
                        break;
                    case "F64":
                        for (var i = 0; i < count; i++) into[i] = (float)BinaryPrimitives.ReadDoubleLittleEndian(bytes[(i * 8)..]);
                        break;
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }
    }

    public void Dispose()
    {
        if (!_leaveOpen) _stream.Dispose();
    }

    private static (long DataStart, IReadOnlyList<SafeTensorEntry> Entries, IReadOnlyDictionary<string, string> Metadata) ReadHeader(Stream stream, string source)
    {
        InvalidDataException Invalid(string what) => new($"{source}: not a valid safetensors file: {what}.");

        var fileLength = stream.Length;
        if (fileLength < 8)
            throw Invalid($"it has {fileLength} bytes, too few for the 8-byte header length that starts the format");

        Span<byte> prefix = stackalloc byte[8];
        stream.Position = 0;
        stream.ReadExactly(prefix);
        var headerLength = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        if (headerLength > MaxHeaderLength)
            throw Invalid($"the header length is {headerLength} bytes, over the limit of {MaxHeaderLength} (is this a safetensors file?)");
        if (headerLength < 2)
            throw Invalid($"the header length is {headerLength} bytes, too short for a JSON object");
        if (8 + (long)headerLength > fileLength)
            throw Invalid($"the header length is {headerLength} bytes but only {fileLength - 8} follow it: the file is truncated or not a safetensors file");

        var header = new byte[headerLength];
        stream.ReadExactly(header);
        if (header[0] != (byte)'{')
            throw Invalid($"the header does not start with '{{' (first byte 0x{header[0]:X2})");

        if (!System.Text.Unicode.Utf8.IsValid(header))
            throw Invalid("the header is not valid UTF-8");

        var dataStart = 8 + (long)headerLength;
        var dataLength = fileLength - dataStart;
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(header, new JsonDocumentOptions { AllowTrailingCommas = false, CommentHandling = JsonCommentHandling.Disallow });
        }
        catch (JsonException e)
        {
            throw Invalid($"the header is not well-formed UTF-8 JSON ({e.Message})");
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw Invalid($"the header is a JSON {root.ValueKind}, not an object");

            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            var entries = new List<SafeTensorEntry>();
            var names = new HashSet<string>(StringComparer.Ordinal);
            var sawMetadata = false;
            foreach (var property in root.EnumerateObject())
            {
                if (property.Name == SafeTensorsWriter.MetadataKey)
                {
                    if (sawMetadata) throw Invalid($"the header has '{SafeTensorsWriter.MetadataKey}' twice");
                    sawMetadata = true;
                    ReadMetadata(property.Value, metadata, Invalid);
                    continue;
                }

                if (!names.Add(property.Name))
                    throw Invalid($"two tensors are named '{property.Name}'");
                entries.Add(ReadEntry(property.Name, property.Value, dataLength, Invalid));
            }

            CheckLayout(entries, dataLength, Invalid);
            return (dataStart, entries, metadata);
        }
    }

    private static void ReadMetadata(JsonElement element, Dictionary<string, string> into, Func<string, InvalidDataException> invalid)
    {
        if (element.ValueKind != JsonValueKind.Object)
            throw invalid($"'{SafeTensorsWriter.MetadataKey}' is a JSON {element.ValueKind}, not an object of strings");
        foreach (var item in element.EnumerateObject())
        {
            if (item.Value.ValueKind != JsonValueKind.String)
                throw invalid($"metadata '{item.Name}' is a JSON {item.Value.ValueKind}; metadata values must be strings");
            if (!into.TryAdd(item.Name, item.Value.GetString()!))
                throw invalid($"metadata '{item.Name}' appears twice");
        }
    }

    private static SafeTensorEntry ReadEntry(string name, JsonElement element, long dataLength, Func<string, InvalidDataException> invalid)
    {
        if (element.ValueKind != JsonValueKind.Object)
            throw invalid($"tensor '{name}' is described by a JSON {element.ValueKind}, not an object with dtype, shape and data_offsets");

        if (!element.TryGetProperty("dtype", out var dtypeElement) || dtypeElement.ValueKind != JsonValueKind.String)
            throw invalid($"tensor '{name}' has no \"dtype\" string");
        var dtype = dtypeElement.GetString()!;
        if (!ElementSizes.TryGetValue(dtype, out var elementSize))
            throw invalid($"tensor '{name}' has unknown dtype \"{dtype}\" (known: {string.Join(", ", ElementSizes.Keys)})");

        if (!element.TryGetProperty("shape", out var shapeElement) || shapeElement.ValueKind != JsonValueKind.Array)
            throw invalid($"tensor '{name}' has no \"shape\" array");
        var shape = new List<long>(shapeElement.GetArrayLength());
        long elements = 1;
        foreach (var dimension in shapeElement.EnumerateArray())
        {
            if (dimension.ValueKind != JsonValueKind.Number || !dimension.TryGetInt64(out var value) || value < 0)
                throw invalid($"tensor '{name}' has shape {shapeElement.GetRawText()}; dimensions must be non-negative integers");
            shape.Add(value);
            // Saturate: any count past the data section's length is refused below anyway.
            elements = value == 0 || elements == 0 ? 0 : elements > long.MaxValue / value ? long.MaxValue : elements * value;
        }

        if (!element.TryGetProperty("data_offsets", out var offsetsElement) || offsetsElement.ValueKind != JsonValueKind.Array
            || offsetsElement.GetArrayLength() != 2)
            throw invalid($"tensor '{name}' has no \"data_offsets\" array of two integers");
        long begin = -1, end = -1;
        var index = 0;
        foreach (var offset in offsetsElement.EnumerateArray())
        {
            if (offset.ValueKind != JsonValueKind.Number || !offset.TryGetInt64(out var value) || value < 0)
                throw invalid($"tensor '{name}' has data_offsets {offsetsElement.GetRawText()}; offsets must be non-negative integers");
            if (index++ == 0) begin = value;
            else end = value;
        }

        if (end < begin)
            throw invalid($"tensor '{name}' has data_offsets [{begin}, {end}]: the end lies before the begin");
        if (end > dataLength)
            throw invalid($"tensor '{name}' has data_offsets [{begin}, {end}] but the data section holds only {dataLength} bytes: the file is truncated");

        var expected = elements > long.MaxValue / elementSize ? long.MaxValue : elements * elementSize;
        if (end - begin != expected)
            throw invalid($"tensor '{name}' has shape {SafeTensorEntry.FormatShape(shape)} of {dtype} ({expected} bytes) but data_offsets [{begin}, {end}] cover {end - begin} bytes");

        return new SafeTensorEntry(name, dtype, shape, begin, end);
    }

    /// <summary>The specification's rule: the tensors tile the data section exactly, with no overlap, hole or tail.</summary>
    private static void CheckLayout(List<SafeTensorEntry> entries, long dataLength, Func<string, InvalidDataException> invalid)
    {
        var sorted = entries.ToArray();
        Array.Sort(sorted, (a, b) => a.Begin != b.Begin ? a.Begin.CompareTo(b.Begin) : a.End.CompareTo(b.End));
        long position = 0;
        SafeTensorEntry? previous = null;
        foreach (var entry in sorted)
        {
            if (entry.Begin < position)
                throw invalid($"tensor '{entry.Name}' (bytes [{entry.Begin}, {entry.End})) overlaps tensor '{previous!.Name}' (bytes [{previous.Begin}, {previous.End}))");
            if (entry.Begin > position)
                throw invalid($"the data section has a gap of {entry.Begin - position} bytes at offset {position}, before tensor '{entry.Name}'; the format allows none");
            position = entry.End;
            if (entry.End > entry.Begin) previous = entry;
        }

        if (position != dataLength)
            throw invalid($"the data section holds {dataLength} bytes but its tensors cover only {position}: {dataLength - position} bytes follow the last tensor");
    }
}
