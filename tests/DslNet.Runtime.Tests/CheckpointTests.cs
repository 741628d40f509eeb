namespace DslNet.Runtime.Tests;

public sealed class CheckpointTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    private static FakeComponent Component(int seed) => new()
    {
        Moments = Enumerable.Range(0, 5).Select(i => (float)(seed * 10 + i) / 7f).ToArray(),
        Steps = seed * 100,
        Rate = 1.0 / (seed + 3),
    };

    [Fact]
    public void Model_components_random_state_and_user_data_round_trip_exactly()
    {
        var path = _directory.File("run.safetensors");
        var model = new FakeNetwork(seed: 1) { StepCount = 42 };
        var optimizer = Component(1);
        var schedule = Component(2);
        new Checkpoint(model).With("optimizer", optimizer).With("schedule", schedule)
            .Save(path, data =>
            {
                data.Value("epoch", 7);
                data.Value("best_auc", 0.8125);
                data.Tensor("best_weights", [1f, 2f]);
            });

        var restored = new FakeNetwork(seed: 99);
        var restoredOptimizer = Component(5);
        var restoredSchedule = Component(6);
        var info = new Checkpoint(restored).With("optimizer", restoredOptimizer).With("schedule", restoredSchedule).Load(path);

        Assert.Equal(model.Parameters.Data, restored.Parameters.Data);
        Assert.Equal(model.RunningStatistics.Data, restored.RunningStatistics.Data);
        Assert.Equal(42, restored.StepCount);
        Assert.Equal(1UL, restored.Seed);
        Assert.Equal(optimizer.Moments, restoredOptimizer.Moments);
        Assert.Equal(optimizer.Steps, restoredOptimizer.Steps);
        Assert.Equal(optimizer.Rate, restoredOptimizer.Rate);
        Assert.Equal(schedule.Moments, restoredSchedule.Moments);
        Assert.Equal(schedule.Rate, restoredSchedule.Rate);

        Assert.Equal(typeof(FakeNetwork).FullName, info.ModelType);
        Assert.Equal(Checkpoint.CurrentFormatVersion, info.FormatVersion);
        Assert.Equal(42, info.StepCount);
        Assert.True((DateTimeOffset.UtcNow - info.Created).Duration() < TimeSpan.FromMinutes(5));
        Assert.Equal(typeof(FakeComponent).FullName, info.Components["optimizer"]);
        Assert.Equal(["optimizer", "schedule"], info.Components.Keys.Order());
        Assert.Equal(7, info.Data.Int64("epoch"));
        Assert.Equal(0.8125, info.Data.Double("best_auc"));
        var best = new float[2];
        info.Data.Tensor("best_weights", best);
        Assert.Equal([1f, 2f], best);
    }

    [Fact]
    public void Other_tools_see_the_weights_under_their_names_and_shapes()
    {
        var path = _directory.File("weights.safetensors");
        var model = new FakeNetwork(seed: 3, units: 4, inputs: 5);
        Checkpoint.Save(path, model, ("optimizer", Component(1)));

        using var reader = SafeTensorsReader.Open(path);
        Assert.Equal([4L, 5L], reader.GetEntry("Hidden.Weight").Shape);
        Assert.Equal([4L], reader.GetEntry("Hidden.RunningVariance").Shape);
        Assert.Equal(model.Parameters["Hidden.Weight"].ToArray(), reader.Read("Hidden.Weight"));
        Assert.Equal(model.RunningStatistics["Hidden.RunningMean"].ToArray(), reader.Read("Hidden.RunningMean"));
        Assert.Equal(Component(1).Moments, reader.Read("optimizer/moments"));
        Assert.Equal("100", reader.Metadata["optimizer/steps"]);
        Assert.Equal(typeof(FakeNetwork).FullName, reader.Metadata["dslnet/model_type"]);
    }

    [Fact]
    public void A_save_that_fails_leaves_the_previous_checkpoint_intact_and_no_temporary_file()
    {
        var path = _directory.File("last.safetensors");
        var model = new FakeNetwork(seed: 1);
        var component = Component(1);
        var checkpoint = new Checkpoint(model).With("optimizer", component);
        checkpoint.Save(path);
        var before = File.ReadAllBytes(path);

        model.Parameters.Data[0] += 1f;
        component.FailOnSave = true;
        Assert.Throws<IOException>(() => checkpoint.Save(path));

        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Equal([path], Directory.GetFiles(_directory.Path));
    }

    [Fact]
    public void A_write_that_fails_midway_leaves_the_previous_file_intact_and_no_temporary_file()
    {
        var path = _directory.File("file.bin");
        File.WriteAllBytes(path, [1, 2, 3]);

        Assert.Throws<IOException>(() => AtomicFile.Write(path, stream =>
        {
            stream.Write(new byte[100_000]);
            stream.Flush();
            Assert.True(File.Exists(path + AtomicFile.TemporarySuffix));
            throw new IOException("disk full (simulated)");
        }));

        Assert.Equal([1, 2, 3], File.ReadAllBytes(path));
        Assert.Equal([path], Directory.GetFiles(_directory.Path));

        AtomicFile.Write(path, stream => stream.Write([4, 5]));
        Assert.Equal([4, 5], File.ReadAllBytes(path));
        Assert.Equal([path], Directory.GetFiles(_directory.Path));
    }

    [Fact]
    public void Loading_into_a_model_of_another_shape_names_every_mismatch_and_changes_nothing()
    {
        var path = _directory.File("small.safetensors");
        Checkpoint.Save(path, new FakeNetwork(seed: 1, units: 3, inputs: 2));

        var other = new FakeNetwork(seed: 2, units: 3, inputs: 4) { StepCount = 5 };
        var before = other.Parameters.Data.ToArray();
        var error = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(path, other));

        Assert.Contains(path, error.Message);
        Assert.Contains("'Hidden.Weight' has shape [3, 2] in the file but [3, 4] in the model", error.Message);
        Assert.Equal(before, other.Parameters.Data);
        Assert.Equal(5, other.StepCount);
        Assert.Equal(2UL, other.Seed);
    }

    [Fact]
    public void Loading_into_another_model_type_is_refused()
    {
        var path = _directory.File("typed.safetensors");
        Checkpoint.Save(path, new FakeNetwork(seed: 1));

        var error = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(path, new OtherFakeNetwork(seed: 1)));
        Assert.Contains($"holds a {typeof(FakeNetwork).FullName}", error.Message);
        Assert.Contains(typeof(OtherFakeNetwork).FullName!, error.Message);
    }

    [Fact]
    public void A_missing_component_or_one_of_another_type_is_refused_before_anything_changes()
    {
        var path = _directory.File("components.safetensors");
        Checkpoint.Save(path, new FakeNetwork(seed: 1), ("optimizer", Component(1)));
        var model = new FakeNetwork(seed: 2);
        var before = model.Parameters.Data.ToArray();

        var missing = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(path, model, ("optimizer", Component(2)), ("scaler", Component(3))));
        Assert.Contains("no component 'scaler' (it has: optimizer)", missing.Message);
        var wrongType = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(path, model, ("optimizer", new OtherFakeComponent())));
        Assert.Contains($"'optimizer' was saved from a {typeof(FakeComponent).FullName}", wrongType.Message);
        Assert.Equal(before, model.Parameters.Data);

        // A model alone loads from a full training checkpoint.
        Checkpoint.Load(path, model);
        Assert.Equal(new FakeNetwork(seed: 1).Parameters.Data, model.Parameters.Data);
    }

    [Fact]
    public void A_component_that_rejects_its_state_rolls_back_the_whole_load()
    {
        var path = _directory.File("rollback.safetensors");
        Checkpoint.Save(path, new FakeNetwork(seed: 1) { StepCount = 9 }, ("optimizer", Component(1)), ("schedule", Component(2)));

        var model = new FakeNetwork(seed: 5) { StepCount = 3 };
        var optimizer = Component(5);
        var schedule = Component(6);
        schedule.FailNextLoad = true;
        var parameters = model.Parameters.Data.ToArray();
        var error = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(path, model, ("optimizer", optimizer), ("schedule", schedule)));

        Assert.Contains("[schedule]: simulated rejection", error.Message);
        Assert.Equal(parameters, model.Parameters.Data);
        Assert.Equal(3, model.StepCount);
        Assert.Equal(5UL, model.Seed);
        Assert.Equal(Component(5).Moments, optimizer.Moments);
        Assert.Equal(Component(5).Steps, optimizer.Steps);
        Assert.Equal(Component(6).Moments, schedule.Moments);
    }

    [Fact]
    public void A_component_that_cannot_even_take_back_its_own_state_is_named()
    {
        var path = _directory.File("broken.safetensors");
        Checkpoint.Save(path, new FakeNetwork(seed: 1), ("optimizer", Component(1)));

        var model = new FakeNetwork(seed: 5);
        var parameters = model.Parameters.Data.ToArray();
        var error = Assert.Throws<InvalidOperationException>(() => Checkpoint.Load(path, model, ("optimizer", new FakeComponent { FailEveryLoad = true })));

        Assert.Contains("restoring the previous state of 'optimizer' failed too", error.Message);
        Assert.Equal(parameters, model.Parameters.Data);
    }

    [Fact]
    public void A_plain_safetensors_file_is_not_a_checkpoint_but_its_weights_load()
    {
        var path = _directory.File("exported.safetensors");
        var source = new FakeNetwork(seed: 1);
        SafeTensorsWriter.Write(path,
            source.Parameters.Views.Select(v => SafeTensor.FromView(v, source.Parameters))
                .Concat(source.RunningStatistics.Views.Select(v => SafeTensor.FromView(v, source.RunningStatistics))).ToList());

        var model = new FakeNetwork(seed: 2);
        var error = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(path, model));
        Assert.Contains("not a DslNet checkpoint", error.Message);
        Assert.Contains("LoadWeights", error.Message);

        Checkpoint.LoadWeights(path, model);
        Assert.Equal(source.Parameters.Data, model.Parameters.Data);
        Assert.Equal(source.RunningStatistics.Data, model.RunningStatistics.Data);
    }

    [Fact]
    public void Extra_and_missing_model_tensors_are_named()
    {
        var path = _directory.File("extra.safetensors");
        SafeTensorsWriter.Write(path,
        [
            new SafeTensor("Hidden.Weight", [3, 2], new float[6]),
            new SafeTensor("Hidden.Gamma", [3], new float[3]),
        ]);

        var error = Assert.Throws<InvalidDataException>(() => Checkpoint.LoadWeights(path, new FakeNetwork(seed: 1)));
        Assert.Contains("'Hidden.Bias' [3] is missing", error.Message);
        Assert.Contains("'Hidden.RunningMean' [3] is missing", error.Message);
        Assert.Contains("the file has tensor 'Hidden.Gamma' [3], which the model does not", error.Message);
    }

    [Fact]
    public void ReadInfo_describes_a_checkpoint_without_a_model()
    {
        var path = _directory.File("info.safetensors");
        new Checkpoint(new FakeNetwork(seed: 1) { StepCount = 12 }).With("optimizer", Component(1)).Save(path, d => d.Value("epoch", 2));

        var info = Checkpoint.ReadInfo(path);
        Assert.Equal(12, info.StepCount);
        Assert.Equal(2, info.Data.Int64("epoch"));
        Assert.Contains(info.Tensors, t => t.Name == "optimizer/moments");
    }

    [Fact]
    public void Component_names_are_checked()
    {
        var checkpoint = new Checkpoint(new FakeNetwork(seed: 1)).With("optimizer", Component(1));
        Assert.Throws<ArgumentException>(() => checkpoint.With("optimizer", Component(2)));
        Assert.Throws<ArgumentException>(() => checkpoint.With("a/b", Component(2)));
        Assert.Throws<ArgumentException>(() => checkpoint.With("user", Component(2)));
        Assert.Throws<ArgumentException>(() => checkpoint.With("dslnet", Component(2)));
        Assert.Throws<ArgumentException>(() => checkpoint.With(" ", Component(2)));
    }
}
