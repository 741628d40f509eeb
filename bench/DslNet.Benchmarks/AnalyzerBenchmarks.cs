using System.Collections.Immutable;
using BenchmarkDotNet.Attributes;
using DslNet.Generator;
using DslNet.Generator.Analyzers;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;

namespace DslNet.Benchmarks;

/// <summary>
/// Build-time cost of the training-loop analyzer on a 2,000-line training file (the bar: under 100 ms): 40
/// training classes with fields, helpers, local functions, accumulation, composed schedules, Trainer options and
/// evaluation helpers. Each compiler benchmark works on a fresh clone of the compilation, as a build does:
/// <list type="bullet">
/// <item><see cref="CompilerOnly"/>: the compiler's own diagnostics (binding every method body), a build with no analyzer;</item>
/// <item><see cref="CompilerAndAnalyzer"/>: the same plus the training-loop analyzer; the difference is what the analyzer adds to a build that runs no other operation analyzer;</item>
/// <item><see cref="CompilerAndOperationWalker"/> and <see cref="CompilerOperationWalkerAndAnalyzer"/>: the same pair when the build
/// already runs an analyzer that walks every method's operation tree (as the SDK's default CA rules do), so semantic models are bound
/// and operation trees built either way; their difference is the analyzer's own added cost.</item>
/// </list>
/// <see cref="DataFlowAndRules"/> is the analyzer's own work alone over operation trees built once in setup. The
/// analyzer's time as Roslyn reports it (<c>-p:ReportAnalyzer=true</c>) is printed by the <c>analyzer-timing</c> command
/// (<see cref="AnalyzerTiming"/>), which runs these side by side and prints medians.
/// </summary>
[MemoryDiagnoser]
public class AnalyzerBenchmarks
{
    private static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.Latest);
    private Compilation _compilation = null!;
    private SyntaxTree _trainingFile = null!;

    private readonly List<(INamedTypeSymbol Type, MemberBlock[] Blocks)> _classes = new();
    private KnownTypes _types = null!;

    /// <summary>Lines of the training file (checked in setup: at least 2,000).</summary>
    public int TrainingFileLines { get; private set; }

    [GlobalSetup]
    public void Setup()
    {
        var training = TrainingFile(classes: 40);
        TrainingFileLines = training.Split('\n').Length;
        if (TrainingFileLines < 2000) throw new InvalidOperationException($"The training file has {TrainingFileLines} lines.");
        const string model = """
            using DslNet;

            namespace Bench;

            [Network(Inputs = 16, Loss = Loss.MeanSquaredError)]
            public sealed partial class Net
            {
                [Dense(32), Relu] public partial DenseBlock Hidden { get; }
                [Dense(1)] public partial DenseBlock Output { get; }
            }
            """;
        var runtime = typeof(NetworkAttribute).Assembly.Location;
        var trusted = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator);
        var references = trusted
            .Where(p => Path.GetFileName(p).StartsWith("System.", StringComparison.Ordinal) || Path.GetFileName(p) is "netstandard.dll" or "mscorlib.dll")
            .Append(runtime)
            .Append(Path.Combine(Path.GetDirectoryName(runtime)!, "DslNet.Kernels.dll"))
            .Select(p => (MetadataReference)MetadataReference.CreateFromFile(p));
        _trainingFile = CSharpSyntaxTree.ParseText(training, ParseOptions, "Training.cs");
        var compilation = CSharpCompilation.Create("Bench", new[] { CSharpSyntaxTree.ParseText(model, ParseOptions, "Model.cs"), _trainingFile }, references,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
        CSharpGeneratorDriver.Create(new[] { new NetworkGenerator().AsSourceGenerator() }, parseOptions: ParseOptions)
            .RunGeneratorsAndUpdateCompilation(compilation, out _compilation, out _);
        var errors = _compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        if (errors.Count > 0) throw new InvalidOperationException("The training file does not compile: " + errors[0]);
        var reported = Compiler.CompileWith(_compilation, TrainingLoop).Diagnostics.Count(d => d.Id.StartsWith("DSL", StringComparison.Ordinal));
        if (reported < 40) throw new InvalidOperationException($"Expected the seeded mistakes to be reported, got {reported} diagnostics.");

        _types = KnownTypes.Create(_compilation)!;
        _classes.AddRange(TrainingClasses(_compilation));
        var own = DataFlowAndRules();
        if (own < 40) throw new InvalidOperationException($"The rules alone reported {own} diagnostics on prebuilt operations.");
    }

    /// <summary>
    /// Each class of the training file with its member blocks' root operations, as the analyzer driver hands them out:
    /// bound and built, but not walked (the operation nodes below each root are built when first visited).
    /// </summary>
    internal static List<(INamedTypeSymbol Type, MemberBlock[] Blocks)> TrainingClasses(Compilation compilation)
    {
        var tree = compilation.SyntaxTrees.First(t => t.FilePath == "Training.cs");
        var semanticModel = compilation.GetSemanticModel(tree);
        var classes = new List<(INamedTypeSymbol, MemberBlock[])>();
        foreach (var declaration in tree.GetRoot().DescendantNodes().OfType<Microsoft.CodeAnalysis.CSharp.Syntax.TypeDeclarationSyntax>())
        {
            var type = semanticModel.GetDeclaredSymbol(declaration)!;
            var blocks = new List<MemberBlock>();
            foreach (var member in declaration.Members)
            {
                if (member is Microsoft.CodeAnalysis.CSharp.Syntax.FieldDeclarationSyntax field)
                {
                    foreach (var variable in field.Declaration.Variables)
                        if (variable.Initializer is { } initializer && semanticModel.GetOperation(initializer) is { } value)
                            blocks.Add(new MemberBlock(semanticModel.GetDeclaredSymbol(variable)!, ImmutableArray.Create(value)));
                }
                else if (semanticModel.GetDeclaredSymbol(member) is { } symbol && semanticModel.GetOperation(member) is { } body)
                    blocks.Add(new MemberBlock(symbol, ImmutableArray.Create(body)));
            }
            classes.Add((type, blocks.ToArray()));
        }
        return classes;
    }

    [Benchmark]
    public int DataFlowAndRules()
    {
        var count = 0;
        foreach (var (type, blocks) in _classes)
            TrainingLoopAnalyzer.Analyze(_types, type, blocks, _ => count++, CancellationToken.None);
        return count;
    }

    [Benchmark(Baseline = true)]
    public int CompilerOnly() => Compiler.CompileOnly(_compilation);

    [Benchmark]
    public int CompilerAndAnalyzer() => Compiler.CompileWith(_compilation, TrainingLoop).Count;

    [Benchmark]
    public int CompilerAndOperationWalker() => Compiler.CompileWith(_compilation, Walker).Count;

    [Benchmark]
    public int CompilerOperationWalkerAndAnalyzer() => Compiler.CompileWith(_compilation, WalkerAndTrainingLoop).Count;

    private static readonly ImmutableArray<DiagnosticAnalyzer> TrainingLoop = ImmutableArray.Create<DiagnosticAnalyzer>(new TrainingLoopAnalyzer());
    private static readonly ImmutableArray<DiagnosticAnalyzer> Walker = ImmutableArray.Create<DiagnosticAnalyzer>(new OperationWalkerAnalyzer());
    private static readonly ImmutableArray<DiagnosticAnalyzer> WalkerAndTrainingLoop =
        ImmutableArray.Create<DiagnosticAnalyzer>(new OperationWalkerAnalyzer(), new TrainingLoopAnalyzer());

    /// <summary>The compilation of the model and the training file, generator output included (for <see cref="AnalyzerTiming"/>).</summary>
    internal Compilation Compilation => _compilation;

    /// <summary>Forty classes of about 50 lines in the shapes the analyzer follows; one in two carries a mistake.</summary>
    private static string TrainingFile(int classes)
    {
        var text = new System.Text.StringBuilder("using System;\nusing System.Collections.Generic;\nusing System.Linq;\nusing DslNet;\n\nnamespace Bench;\n");
        for (var i = 0; i < classes; i++)
        {
            var bug = i % 2 == 1;
            text.Append($$"""

                public sealed class Experiment{{i}}
                {
                    private readonly Net _model = new Net(seed: {{i}});
                    private readonly AdamW _optimizer;
                    private readonly ILearningRateScheduler _schedule;
                    private readonly GradientAccumulator _accumulator;
                    private readonly int _epochs;

                    public Experiment{{i}}(DataSet train, int epochs)
                    {
                        _epochs = epochs;
                        _optimizer = new AdamW(_model.Parameters, lr: 1e-3, weightDecay: 1e-2);
                        _accumulator = new GradientAccumulator(_model.Parameters, steps: 2);
                        var total = epochs * train.BatchesPerEpoch(32) / 2;
                        var warmup = total / 20;
                        _schedule = new LinearWarmup(_optimizer, warmup,
                            then: new CosineAnnealingLR(_optimizer, tMax: {{(bug ? "epochs" : "total - warmup")}}, unit: ScheduleUnit.Batch));
                    }

                    public void Fit(DataSet train, DataSet val)
                    {
                        for (var epoch = 0; epoch < _epochs; epoch++)
                        {
                            TrainOneEpoch(train, epoch);
                            Console.WriteLine($"epoch {epoch}: val {Evaluate(val):F4}");
                        }
                    }

                    private void TrainOneEpoch(DataSet data, int epoch)
                    {
                        var running = 0.0;
                        foreach (var batch in data.Batches(32, shuffle: true, epoch: epoch))
                        {
                            running += _model.TrainStep(batch.Features, batch.Labels);
                            if (!_accumulator.Add()) continue;
                            {{(bug ? "_optimizer.ZeroGrad();\n                _optimizer.Step(GradClip.NormCoefficient(_model.Gradients, 1.0).Coefficient);" : "_optimizer.Step(GradClip.NormCoefficient(_model.Gradients, 1.0).Coefficient);\n                _optimizer.ZeroGrad();")}}
                            OnStep(running / 2);
                            running = 0;
                        }
                    }

                    private void OnStep(double loss)
                    {
                        _schedule.Step();
                        if (double.IsNaN(loss)) throw new InvalidOperationException("loss");
                    }

                    private double Evaluate(DataSet data)
                    {
                        var total = 0.0;
                        foreach (var batch in data.Batches(256, shuffle: false))
                            total += {{(bug ? "_model.TrainStep" : "_model.EvaluateLoss")}}(batch.Features, batch.Labels);
                        return total / data.BatchesPerEpoch(256);
                    }

                    public TrainingHistory FitWithTrainer(DataSet train) =>
                        new Trainer(_model, new TrainerOptions { Epochs = _epochs, Schedule = (o, c) => new OneCycleLR(o, 1e-3, {{(bug ? "c.Epochs" : "c.TotalSteps")}}) }).Fit(train);
                }

                """);
        }
        return text.ToString();
    }
}
