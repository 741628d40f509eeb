using System.Buffers.Binary;

namespace DslNet.Runtime.Tests;

/// <summary>Corrupted, non-finite, old and unwritable checkpoints: refused or flagged, with the tensor or path named.</summary>
public sealed class CheckpointIntegrityTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void Flipped_bytes_inside_a_tensor_are_refused_naming_the_tensor_and_nothing_changes()
    {
        var path = _directory.File("run.safetensors");
        new Checkpoint(new FakeNetwork(seed: 1, units: 8, inputs: 4)).Save(path);
        OverwriteTensorBytes(path, "Hidden.Weight", offset: 4, count: 16, value: b => (byte)~b);

        var model = new FakeNetwork(seed: 2, units: 8, inputs: 4);
        var before = model.Parameters.Data.ToArray();
        var error = Assert.Throws<InvalidDataException>(() => new Checkpoint(model).Load(path));
        Assert.Contains("'Hidden.Weight'", error.Message);
        Assert.Contains("corrupted", error.Message);
        Assert.Equal(before, model.Parameters.Data);

        Assert.Throws<InvalidDataException>(() => Checkpoint.LoadWeights(path, model));
        Assert.Equal(before, model.Parameters.Data);
    }

    [Fact]
    public void Bytes_overwritten_with_0xFF_are_refused_by_the_checksum()
    {
        var path = _directory.File("run.safetensors");
        new Checkpoint(new FakeNetwork(seed: 1)).Save(path);
        OverwriteTensorBytes(path, "Hidden.RunningMean", offset: 0, count: 4, value: _ => 0xFF);

        var error = Assert.Throws<InvalidDataException>(() => new Checkpoint(new FakeNetwork(seed: 2)).Load(path));
        Assert.Contains("'Hidden.RunningMean'", error.Message);
    }

    [Fact]
    public void Non_finite_weights_are_refused_unless_asked_for()
    {
        var path = _directory.File("nan.safetensors");
        var saved = new FakeNetwork(seed: 1);
        saved.Parameters.Data[4] = float.NaN;            // Hidden.Weight [3, 2]: element 4
        new Checkpoint(saved).Save(path);

        var model = new FakeNetwork(seed: 2);
        var before = model.Parameters.Data.ToArray();
        var error = Assert.Throws<InvalidDataException>(() => new Checkpoint(model).Load(path));
        Assert.Contains("'Hidden.Weight'", error.Message);
        Assert.Contains("element 4", error.Message);
        Assert.Equal(before, model.Parameters.Data);
        Assert.Throws<InvalidDataException>(() => Checkpoint.LoadWeights(path, model));
        Assert.Equal(before, model.Parameters.Data);

        new Checkpoint(model).Load(path, allowNonFinite: true);
        Assert.True(float.IsNaN(model.Parameters.Data[4]));
    }

    [Fact]
    public void A_file_written_before_checksums_loads_with_a_warning()
    {
        var path = _directory.File("v1.safetensors");
        var saved = new FakeNetwork(seed: 1);
        new Checkpoint(saved).Save(path);
        var (tensors, metadata) = SafeTensorsReader.ReadAll(path);
        var oldMetadata = metadata.Where(m => m.Key != "dslnet/checksums").ToDictionary();
        oldMetadata["dslnet/format_version"] = "1";
        SafeTensorsWriter.Write(path, tensors.Select(t => new SafeTensor(t.Key, Shape(saved, t.Key), t.Value)).ToList(), oldMetadata);

        var model = new FakeNetwork(seed: 2);
        var info = new Checkpoint(model).Load(path);
        Assert.Equal(saved.Parameters.Data, model.Parameters.Data);
        Assert.Equal(1, info.FormatVersion);
        Assert.Contains("no checksums", Assert.Single(info.Warnings));

        var current = _directory.File("v2.safetensors");
        new Checkpoint(saved).Save(current);
        Assert.Empty(new Checkpoint(model).Load(current).Warnings);
    }

    [Fact]
    public void Saving_into_a_missing_directory_names_the_path_the_user_gave()
    {
        var path = Path.Combine(_directory.Path, "no-such-dir", "x.safetensors");
        var error = Assert.Throws<DirectoryNotFoundException>(() => new Checkpoint(new FakeNetwork(seed: 1)).Save(path));
        Assert.Contains($"'{path}'", error.Message);
        Assert.DoesNotContain(".tmp", error.Message);

        var check = Assert.Throws<DirectoryNotFoundException>(() => Checkpoint.CheckWritable(path));
        Assert.Contains($"'{path}'", check.Message);
    }

    [Fact]
    public void CheckWritable_accepts_a_writable_path_and_leaves_nothing_behind()
    {
        var path = _directory.File("ok.safetensors");
        Checkpoint.CheckWritable(path);
        Assert.Empty(Directory.GetFileSystemEntries(_directory.Path));
        Assert.Throws<IOException>(() => Checkpoint.CheckWritable(_directory.Path));
    }

    private static IReadOnlyList<int> Shape(INetwork model, string name) =>
        model.Parameters.Views.Concat(model.RunningStatistics.Views).Single(v => v.Name == name).Shape;

    private static void OverwriteTensorBytes(string path, string tensor, int offset, int count, Func<byte, byte> value)
    {
        long start;
        using (var reader = SafeTensorsReader.Open(path))
        {
            var entry = reader.GetEntry(tensor);
            Assert.True(offset + count <= entry.ByteLength);
            start = entry.Begin + offset;
        }

        var bytes = File.ReadAllBytes(path);
        var dataStart = 8 + (long)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        for (var i = 0; i < count; i++) bytes[dataStart + start + i] = value(bytes[dataStart + start + i]);
        File.WriteAllBytes(path, bytes);
    }
}
