using System.Globalization;
using System.Text.RegularExpressions;
using DslNet.Generator.Analyzers;
using Microsoft.CodeAnalysis;

namespace DslNet.Generator.Tests.Analyzers.Corpus;

/// <summary>
/// Every rule's message prints values, not identifiers: for each rule, a corpus program whose setting comes from a
/// constant, a local or a field, and the value its message must print. The identifier may appear only inside a
/// quoted piece of code (<c>'totalSteps: epochs (= 3)'</c>, <c>0.01 ('weightDecay')</c>), never bare in the prose
/// ("ends after epochs batches"). DSL3002 needs a device that lacks a precision, which the runtime does not have: its
/// message is checked with stand-in devices in <see cref="PrecisionRuleTests"/>.
/// </summary>
public sealed partial class MessageValueTests
{
    /// <summary>(rule, corpus program, text the message must contain, identifier the value comes from).</summary>
    public static TheoryData<string, string, string, string> Cases => new()
    {
        { "DSL1001", "FieldScheduleTrainOneEpoch", "but OneCycleLR is a per-batch schedule", "_schedule" },
        { "DSL1002", "WhileLoopFieldEpochs", "the OneCycleLR ends after 20 batches", "_maxEpochs" },
        { "DSL1003", "BatchSizeMismatchConst", "is 10 * train.BatchesPerEpoch(64) steps", "epochs" },
        { "DSL1004", "ModuloFieldPerMicroBatch", "once every 10 ('_accumulation') micro-batches", "_accumulation" },
        { "DSL1005", "OnBatchEndBeforeOptimizer", "never uses the OneCycleLR's first learning rate", "_schedule" },
        { "DSL1006", "TwoSchedulesWrongOptimizer", "'bodySchedule' (OneCycleLR) and 'headSchedule' (OneCycleLR)", "headSchedule" },
        { "DSL1007", "PctStartAsPercentConst", "pctStart 30 ('WarmupPercent') is outside (0, 1)", "WarmupPercent" },
        { "DSL2001", "AdamWeightDecayField", "Adam's weightDecay 0.0005 ('_decay')", "_decay" },
        { "DSL2002", "AdamWDecayL2RangeField", "AdamW's weightDecay 0.0001 ('WeightDecay')", "WeightDecay" },
        { "DSL2003", "ClipAfterStepConstMaxNorm", "(maxNorm 0.5 ('MaxGradNorm')) runs after", "MaxGradNorm" },
        { "DSL2004", "SummedLossConstAccumulation", "the sum of 8 ('AccumulationSteps') micro-batch losses", "AccumulationSteps" },
        { "DSL2005", "ZeroGradBetweenDecayField", "nothing but AdamW's weight decay 0.05 ('_decay')", "_decay" },
        { "DSL2006", "TestSetThroughHelper", "'data.Batches(512, shuffle: false)' ('testSet')", "data" },
        { "DSL3001", "Fp16LocalPrecisionNoScaler", "trains in fp16 ('precision' = Precision.Fp16)", "precision" },
        { "DSL3003", "Bf16ScalerLocalPrecision", "The model trains in bf16", "precision" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Message_prints_the_value(string id, string program, string value, string identifier)
    {
        var message = MessageOf(id, program);
        Assert.Contains(value, message, StringComparison.Ordinal);
        Assert.False(IsBare(message, identifier), $"{id} on {program} prints '{identifier}' outside quoted code: {message}");
    }

    [Fact]
    public void Every_rule_of_the_analyzer_has_a_case()
    {
        var covered = Cases.Select(row => (string)row[0]).Append("DSL3002").ToHashSet(StringComparer.Ordinal);
        var raised = new TrainingLoopAnalyzer().SupportedDiagnostics.Select(d => d.Id).ToList();
        Assert.All(raised, id => Assert.Contains(id, covered));
    }

    [Fact]
    public void No_message_prints_a_bare_name_ahead_of_its_value()
    {
        // The issue's example: "Adam's weightDecay weightDecay is ...". Values come first now, names after them in quotes.
        var messages = CorpusTests.Result.Value.Run.Dsl.Select(d => d.GetMessage(CultureInfo.InvariantCulture)).ToList();
        Assert.DoesNotContain(messages, m => m.Contains("weightDecay weightDecay", StringComparison.Ordinal));
        Assert.DoesNotContain(messages, m => Regex.IsMatch(m, @"\{\d\}"));
        Assert.DoesNotContain(messages, m => Regex.IsMatch(m, @"ends after [A-Za-z_]\w* batches"));
    }

    // ---------------------------------------------------------------- DSL1006: the fix matches the mistake

    [Fact]
    public void DSL1006_schedule_on_the_wrong_optimizer_is_told_to_move_to_the_unscheduled_one()
    {
        var message = MessageOf("DSL1006", "TwoSchedulesWrongOptimizer");
        Assert.Contains("build 'headSchedule' on 'headOptimizer' instead of 'bodyOptimizer'", message, StringComparison.Ordinal);
        Assert.DoesNotContain("SequentialLR", message, StringComparison.Ordinal);
    }

    [Fact]
    public void DSL1006_warmup_beside_a_decay_is_told_to_chain_them()
    {
        var message = MessageOf("DSL1006", "TwoSchedulesSameOptimizer");
        Assert.Contains("'new LinearWarmup(optimizer, 50, then: cosine)'", message, StringComparison.Ordinal);
        Assert.DoesNotContain("instead of", message, StringComparison.Ordinal);
    }

    [Fact]
    public void DSL1006_two_decays_on_one_optimizer_are_told_to_compose_them()
    {
        var message = MessageOf("DSL1006", "TwoDecaySchedulesSameOptimizer");
        Assert.Contains("'new SequentialLR(optimizer, new ILearningRateScheduler[] { steps, cosine }, milestones)'", message, StringComparison.Ordinal);
        Assert.DoesNotContain("instead of", message, StringComparison.Ordinal);
    }

    // ---------------------------------------------------------------- helpers

    private static string MessageOf(string id, string program)
    {
        var path = "Corpus/" + program + ".cs";
        var diagnostics = CorpusTests.Result.Value.Run.Dsl.Where(d => d.Id == id && d.Location.SourceTree?.FilePath == path).ToList();
        Assert.True(diagnostics.Count == 1, $"Expected one {id} on {program}, got {diagnostics.Count}.");
        return diagnostics[0].GetMessage(CultureInfo.InvariantCulture);
    }

    /// <summary>Whether <paramref name="identifier"/> occurs as a word outside the message's quoted code ('...').</summary>
    internal static bool IsBare(string message, string identifier)
    {
        var prose = QuotedCode().Replace(message, "''");
        return Regex.IsMatch(prose, @"(?<![\w.])" + Regex.Escape(identifier) + @"(?!\w)");
    }

    /// <summary>A quoted piece of code: an opening quote not preceded by a letter (so not a possessive "AdamW's").</summary>
    [GeneratedRegex(@"(?<![A-Za-z0-9])'[^']*'")]
    private static partial Regex QuotedCode();
}
