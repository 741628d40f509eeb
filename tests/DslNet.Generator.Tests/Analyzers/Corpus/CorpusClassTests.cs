namespace DslNet.Generator.Tests.Analyzers.Corpus;

/// <summary>
/// The corpus covers each class of miss the analyzers issue lists with at least three programs of different shapes,
/// at least one of them a mistake the rules must find and one a correct program they must leave alone.
/// </summary>
public sealed class CorpusClassTests
{
    /// <summary>The issue's classes, each with the corpus programs written for it (by name).</summary>
    public static TheoryData<string, string[]> Classes => new()
    {
        { "the README's folded clipping step", ["FoldedClipStepAfterSchedule", "FoldedClipStepOneCyclePerEpoch", "FoldedClipStepCorrect", "GradientsClearedBeforeFoldedStep"] },
        { "horizons from locals, constants and loop forms", ["ConstEpochsHorizon", "VarEpochsOneBasedLoop", "WhileLoopFieldEpochs", "PropertyEpochsRange", "ConstEpochsCorrect", "WhileLoopCorrect"] },
        { "epoch-unit schedules stepped per batch, conditional creation", ["StepLrHalfEpochsPerBatch", "CosineEpochsPerBatch", "ConditionalCosineNullStep", "WarmRestartsEpochsPerBatch", "StepLrPerEpochCorrect", "ConditionalCosinePerEpochCorrect", "ConditionalWarmupStepBeforeOptimizer", "ConditionalOneCycleCorrect"] },
        { "composed schedules", ["WarmupThenCosineWholeRun", "SequentialMilestoneInEpochs", "SequentialTailWholeRun", "WarmupThenCosineCorrect", "SequentialCorrect", "SequentialFieldMilestoneInEpochs", "SequentialMilestoneStepsCorrect"] },
        { "schedules in fields, helpers, callbacks and collections", ["FieldScheduleTrainOneEpoch", "OnBatchEndBeforeOptimizer", "ScheduleListPerEpoch", "LocalFunctionStepBeforeOptimizer", "LambdaCallbackPerEpoch", "FieldHelperCorrect", "EpochScheduleListCorrect", "LinqForEachSchedulesPerEpoch"] },
        { "accumulation written differently", ["SyncFlagSchedulePerMicroBatch", "GuardInHelperPerMicroBatch", "ModuloCounterPerMicroBatch", "SyncFlagCorrect", "ModuloCounterCorrect", "GuardCorrect", "ModuloFieldPerMicroBatch", "ModuloFieldCorrect"] },
        { "ZeroGrad between backward and step", ["ZeroGradBetweenBackwardAndStep", "ZeroGradInHelperBetween", "GradientsClearedBeforeFoldedStep", "ZeroGradFirstCorrect", "ZeroGradLastCorrect", "ZeroGradBetweenDecayField"] },
        { "evaluation data trained on", ["DevSetTrainStep", "HoldoutBatchesLocal", "TestSetThroughHelper", "TrainValRefitCorrect", "DevEvaluateLossCorrect", "TrainAndDevCorrect"] },
        { "the Trainer path in fp16", ["TrainerFp16LossScalingOff", "TrainerFp16DefaultOptions", "TrainerFp16FieldModel", "TrainerFp16ScalingCorrect", "TrainerBf16Correct", "TrainerFp16OptionsFromHelper", "TrainerFp16OptionsHelperWithoutScaling"] },
        { "messages with values and the right fix", ["AdamWeightDecayConstLocal", "AdamWeightDecayField", "AdamWDecayCorrect", "TwoSchedulesWrongOptimizer", "TwoSchedulesSameOptimizer", "TwoDecaySchedulesSameOptimizer", "PctStartAsPercentConst", "AdamWDecayL2RangeField"] },
        // Shapes the issue names inside its classes, each with three programs or more of its own.
        { "shape: LINQ over batches and schedules", ["LinqIndexedBatchesEpochHorizon", "LinqFilteredBatchesEpochHorizon", "LinqForEachSchedulesPerEpoch", "LinqRangeSelectManyCorrect"] },
        { "shape: conditional creation stepped with ?.Step()", ["ConditionalCosineNullStep", "ConditionalWarmupStepBeforeOptimizer", "ConditionalCosinePerEpochCorrect", "ConditionalOneCycleCorrect"] },
        { "shape: SequentialLR milestones in epochs, stepped per batch", ["SequentialMilestoneInEpochs", "SequentialFieldMilestoneInEpochs", "SequentialCorrect", "SequentialMilestoneStepsCorrect"] },
        { "shape: lambdas passed to the Trainer", ["TrainerFactoryEpochHorizon", "TrainerFactoryWarmupCosineWhole", "TrainerFactoryStepLrInSteps", "TrainerFactoryCorrect", "TrainerCallbackCorrect"] },
        { "shape: settings from constants, locals and fields", ["PctStartAsPercentConst", "AdamWDecayL2RangeField", "ClipAfterStepConstMaxNorm", "SummedLossConstAccumulation", "Fp16LocalPrecisionNoScaler", "Bf16ScalerLocalPrecision", "ConstEpochsCorrect"] },
    };

    [Theory]
    [MemberData(nameof(Classes))]
    public void Each_class_has_three_programs_with_a_mistake_and_a_correct_one(string issueClass, string[] names)
    {
        var programs = names.Select(name => CorpusTests.All.SingleOrDefault(p => p.Name == name)
                                            ?? throw new Xunit.Sdk.XunitException($"{issueClass}: no corpus program named {name}.")).ToList();
        Assert.True(programs.Count >= 3, $"{issueClass}: {programs.Count} programs");
        Assert.Contains(programs, p => !p.IsCorrect);
        Assert.Contains(programs, p => p.IsCorrect);
        Assert.Equal(programs.Count, programs.Select(p => p.MarkedSource).Distinct().Count());
    }
}
