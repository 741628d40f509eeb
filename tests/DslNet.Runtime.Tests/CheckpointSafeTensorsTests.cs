using System.Buffers.Binary;
using System.Text;

namespace DslNet.Runtime.Tests;

public sealed class CheckpointSafeTensorsTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    /// <summary>A file laid out by hand from the specification: u64 header length, JSON header, data.</summary>
    private static byte[] Build(string headerJson, byte[] data, ulong? headerLength = null)
    {
        var header = Encoding.UTF8.GetBytes(headerJson);
        var bytes = new byte[8 + header.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, headerLength ?? (ulong)header.Length);
        header.CopyTo(bytes, 8);
        data.CopyTo(bytes, 8 + header.Length);
        return bytes;
    }

    private static byte[] Floats(params float[] values)
    {
        var bytes = new byte[values.Length * 4];
        for (var i = 0; i < values.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * 4), values[i]);
        return bytes;
    }

    private string WriteFile(byte[] bytes, string name = "model.safetensors")
    {
        var path = _directory.File(name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private InvalidDataException Refused(byte[] bytes)
    {
        var path = WriteFile(bytes);
        var error = Assert.Throws<InvalidDataException>(() => SafeTensorsReader.Open(path).Dispose());
        Assert.Contains(path, error.Message);
        return error;
    }

    [Fact]
    public void A_buffer_round_trips_with_names_shapes_values_and_metadata()
    {
        var buffer = new TensorBuffer(10,
        [
            new TensorSlot("Hidden.Weight", ParameterKind.Weight, 0, [2, 3]),
            new TensorSlot("Hidden.Bias", ParameterKind.Bias, 6, [2]),
            new TensorSlot("Output.Weight", ParameterKind.Weight, 8, [1, 2]),
        ]);
        float[] values = [1.5f, -2.25f, float.Epsilon, float.MaxValue, -0f, 3e-8f, float.NaN, float.NegativeInfinity, 7f, 1f / 3f];
        values.CopyTo(buffer.Data, 0);
        var path = _directory.File("buffer.safetensors");

        SafeTensorsWriter.Write(path, buffer.Views.Select(v => SafeTensor.FromView(v, buffer)).ToList(),
            new Dictionary<string, string> { ["note"] = "héllo \"quoted\"", ["epoch"] = "3" });

        using var reader = SafeTensorsReader.Open(path);
        Assert.Equal(["Hidden.Weight", "Hidden.Bias", "Output.Weight"], reader.Entries.Select(e => e.Name));
        Assert.Equal([2L, 3L], reader.GetEntry("Hidden.Weight").Shape);
        Assert.Equal([1L, 2L], reader.GetEntry("Output.Weight").Shape);
        Assert.All(reader.Entries, e => Assert.Equal("F32", e.DType));
        Assert.Equal("héllo \"quoted\"", reader.Metadata["note"]);
        Assert.Equal("3", reader.Metadata["epoch"]);
        var read = reader.Entries.SelectMany(e => reader.Read(e.Name)).ToArray();
        // Bit patterns, so NaN and −0 count too.
        Assert.Equal(values.Select(BitConverter.SingleToInt32Bits), read.Select(BitConverter.SingleToInt32Bits));
    }

    [Fact]
    public void The_writer_lays_out_the_file_exactly_as_the_specification_says()
    {
        var path = _directory.File("exact.safetensors");
        SafeTensorsWriter.Write(path, [new SafeTensor("a", [2], new float[] { 1f, 2f }), new SafeTensor("b", [], new float[] { -1f })],
            new Dictionary<string, string> { ["k"] = "v" });

        var bytes = File.ReadAllBytes(path);
        var headerLength = (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.Equal(0, headerLength % 8);
        var header = Encoding.UTF8.GetString(bytes, 8, headerLength);
        const string json = """{"__metadata__":{"k":"v"},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[],"data_offsets":[8,12]}}""";
        Assert.Equal(json + new string(' ', headerLength - json.Length), header);
        Assert.Equal(Floats(1f, 2f, -1f), bytes[(8 + headerLength)..]);
    }

    [Fact]
    public void The_writer_matches_the_reference_implementations_bytes()
    {
        // What huggingface/safetensors' own serialization test expects for one 2×2 tensor of zeros (there I32;
        // F32 has the same layout): a 60-byte compact header padded with 4 spaces to 64 (0x40), then 16 zero bytes.
        var path = _directory.File("reference.safetensors");
        SafeTensorsWriter.Write(path, [new SafeTensor("test", [2, 2], new float[4])]);

        var expected = new List<byte> { 0x40, 0, 0, 0, 0, 0, 0, 0 };
        expected.AddRange(Encoding.ASCII.GetBytes("""{"test":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]}}    """));
        expected.AddRange(new byte[16]);
        Assert.Equal(expected, File.ReadAllBytes(path));
    }

    [Fact]
    public void A_reference_file_with_an_integer_tensor_and_metadata_is_described_but_not_read_as_fp32()
    {
        // The layout of the reference implementation's "load with metadata" test: header length 0x66, padded with spaces.
        var header = """{"__metadata__":{"framework":"pt"},"test1":{"dtype":"I32","shape":[2,2],"data_offsets":[0,16]}}""";
        header += new string(' ', 0x66 - header.Length);
        using var reader = SafeTensorsReader.Open(WriteFile(Build(header, new byte[16])));

        Assert.Equal("pt", reader.Metadata["framework"]);
        var entry = Assert.Single(reader.Entries);
        Assert.Equal(("test1", "I32", 16L), (entry.Name, entry.DType, entry.ByteLength));
        Assert.True(entry.HasShape([2, 2]));
        Assert.Throws<InvalidDataException>(() => reader.Read("test1"));
    }

    [Fact]
    public void A_hand_built_file_is_read_as_the_specification_describes_it()
    {
        // Unpadded header, tensors listed out of data order, a zero-sized tensor: all legal.
        const string header = """
            {"b":{"dtype":"F32","shape":[2,2],"data_offsets":[8,24]},
             "__metadata__":{"format":"pt"},
             "a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},
             "empty":{"dtype":"F32","shape":[0,4],"data_offsets":[24,24]}}
            """;
        var path = WriteFile(Build(header, Floats(10f, 20f, 1f, 2f, 3f, 4f)));

        using var reader = SafeTensorsReader.Open(path);
        Assert.Equal(["b", "a", "empty"], reader.Entries.Select(e => e.Name));
        Assert.Equal("pt", reader.Metadata["format"]);
        Assert.Equal([10f, 20f], reader.Read("a"));
        Assert.Equal([1f, 2f, 3f, 4f], reader.Read("b"));
        Assert.Empty(reader.Read("empty"));
        Assert.True(reader.GetEntry("b").HasShape([2, 2]));
    }

    [Fact]
    public void F16_BF16_and_F64_tensors_are_converted_to_fp32()
    {
        var data = new byte[2 * 2 + 2 * 2 + 2 * 8];
        BinaryPrimitives.WriteHalfLittleEndian(data.AsSpan(0), (Half)1.5f);
        BinaryPrimitives.WriteHalfLittleEndian(data.AsSpan(2), (Half)(-0.099975586f));
        BinaryPrimitives.WriteUInt16LittleEndian(data.AsSpan(4), (ushort)(BitConverter.SingleToInt32Bits(3.140625f) >> 16));
        BinaryPrimitives.WriteUInt16LittleEndian(data.AsSpan(6), (ushort)(BitConverter.SingleToInt32Bits(-256f) >> 16));
        BinaryPrimitives.WriteDoubleLittleEndian(data.AsSpan(8), 0.1);
        BinaryPrimitives.WriteDoubleLittleEndian(data.AsSpan(16), -1e300);
        const string header = """
            {"h":{"dtype":"F16","shape":[2],"data_offsets":[0,4]},
             "bf":{"dtype":"BF16","shape":[2],"data_offsets":[4,8]},
             "d":{"dtype":"F64","shape":[2],"data_offsets":[8,24]}}
            """;
        using var reader = SafeTensorsReader.Open(WriteFile(Build(header, data)));

        Assert.Equal([1.5f, (float)(Half)(-0.099975586f)], reader.Read("h"));
        Assert.Equal([3.140625f, -256f], reader.Read("bf"));
        Assert.Equal([0.1f, float.NegativeInfinity], reader.Read("d"));
    }

    [Fact]
    public void A_truncated_file_is_refused()
    {
        var path = _directory.File("whole.safetensors");
        SafeTensorsWriter.Write(path, [new SafeTensor("w", [4], new float[] { 1, 2, 3, 4 })]);
        var bytes = File.ReadAllBytes(path);

        Assert.Contains("truncated", Refused(bytes[..^4]).Message);
        Assert.Contains("truncated", Refused(bytes[..20]).Message);
        Assert.Contains("too few for the 8-byte header length", Refused(bytes[..5]).Message);
    }

    [Fact]
    public void A_bad_header_length_is_refused()
    {
        const string header = """{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""";
        Assert.Contains("over the limit", Refused(Build(header, Floats(1f), headerLength: 1UL << 40)).Message);
        Assert.Contains("only", Refused(Build(header, Floats(1f), headerLength: 4096)).Message);
        Assert.Contains("too short", Refused(Build(header, Floats(1f), headerLength: 0)).Message);
        // A length that cuts the JSON short.
        Assert.Contains("not well-formed", Refused(Build(header, Floats(1f), headerLength: 20)).Message);
    }

    [Fact]
    public void A_header_that_is_not_a_json_object_is_refused()
    {
        Assert.Contains("not well-formed", Refused(Build("{not json}", [])).Message);
        Assert.Contains("does not start with '{'", Refused(Build("[1, 2]  ", [])).Message);
        Assert.Contains("not well-formed", Refused(Build("{\"a\":1} trailing", [])).Message);
        var invalidUtf8 = Build("{\"\u00ff\":{}}", []);
        invalidUtf8[10] = 0xFF; // a lone byte that is not UTF-8
        Assert.Contains("not valid UTF-8", Refused(invalidUtf8).Message);
    }

    [Fact]
    public void Overlapping_offsets_are_refused()
    {
        const string header = """
            {"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},
             "b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}
            """;
        var error = Refused(Build(header, Floats(1, 2, 3)));
        Assert.Contains("'b'", error.Message);
        Assert.Contains("overlaps tensor 'a'", error.Message);
    }

    [Fact]
    public void Gaps_trailing_bytes_and_offsets_past_the_end_are_refused()
    {
        Assert.Contains("gap of 4 bytes", Refused(Build("""
            {"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},
             "b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}
            """, Floats(1, 2, 3))).Message);
        Assert.Contains("4 bytes follow the last tensor", Refused(Build("""
            {"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}
            """, Floats(1, 2))).Message);
        Assert.Contains("data section holds only 4 bytes", Refused(Build("""
            {"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}
            """, Floats(1))).Message);
        Assert.Contains("end lies before the begin", Refused(Build("""
            {"a":{"dtype":"F32","shape":[1],"data_offsets":[4,0]}}
            """, Floats(1))).Message);
    }

    [Fact]
    public void A_wrong_or_unknown_dtype_is_refused()
    {
        Assert.Contains("unknown dtype \"F17\"", Refused(Build("""
            {"a":{"dtype":"F17","shape":[1],"data_offsets":[0,4]}}
            """, Floats(1))).Message);

        // I64 is a legal dtype: the header is valid, but the tensor is not fp32 and cannot be read as one.
        var path = WriteFile(Build("""
            {"a":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}}
            """, new byte[8]));
        using var reader = SafeTensorsReader.Open(path);
        var error = Assert.Throws<InvalidDataException>(() => reader.Read("a"));
        Assert.Contains(path, error.Message);
        Assert.Contains("dtype I64", error.Message);
    }

    [Fact]
    public void Shapes_that_do_not_match_their_byte_ranges_are_refused()
    {
        Assert.Contains("shape [3] of F32 (12 bytes) but data_offsets [0, 8] cover 8 bytes", Refused(Build("""
            {"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}
            """, Floats(1, 2))).Message);
        Assert.Contains("non-negative integers", Refused(Build("""
            {"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}
            """, Floats(1))).Message);
        Assert.Contains("non-negative integers", Refused(Build("""
            {"a":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}}
            """, Floats(1))).Message);
        Assert.Contains("no \"data_offsets\"", Refused(Build("""
            {"a":{"dtype":"F32","shape":[1]}}
            """, Floats(1))).Message);
        Assert.Contains("no \"shape\"", Refused(Build("""
            {"a":{"dtype":"F32","data_offsets":[0,4]}}
            """, Floats(1))).Message);
    }

    [Fact]
    public void Duplicate_names_and_non_string_metadata_are_refused()
    {
        Assert.Contains("two tensors are named 'a'", Refused(Build("""
            {"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},
             "a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}
            """, Floats(1, 2))).Message);
        Assert.Contains("metadata values must be strings", Refused(Build("""
            {"__metadata__":{"epoch":3}}
            """, [])).Message);
    }

    [Fact]
    public void The_writer_refuses_reserved_and_duplicate_names()
    {
        var path = _directory.File("bad.safetensors");
        Assert.Throws<ArgumentException>(() => SafeTensorsWriter.Write(path, [new SafeTensor("__metadata__", new float[1])]));
        Assert.Throws<ArgumentException>(() => SafeTensorsWriter.Write(path, [new SafeTensor("a", new float[1]), new SafeTensor("a", new float[2])]));
        Assert.Throws<ArgumentException>(() => new SafeTensor("a", [2, 2], new float[3]));
        Assert.False(File.Exists(path));
        Assert.False(File.Exists(path + ".tmp"));
    }
}
