using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace DslNet.Generator.Tests;

/// <summary>One generator run: what it wrote, what it reported, and what the compiler then says about the result.</summary>
internal sealed record GeneratorRun(
    GeneratorDriver Driver,
    GeneratorDriverRunResult Result,
    CSharpCompilation Input,
    Compilation Output,
    ImmutableArray<GeneratedFile> Sources,
    ImmutableArray<Diagnostic> GeneratorDiagnostics)
{
    private readonly Lazy<ImmutableArray<Diagnostic>> _outputDiagnostics = new(() => Output.GetDiagnostics());

    /// <summary>The compiler's diagnostics for user code plus generated code (computed on first use: it binds everything).</summary>
    public ImmutableArray<Diagnostic> OutputDiagnostics => _outputDiagnostics.Value;

    /// <summary>Every exception the generator threw (Roslyn turns them into CS8785 warnings); must be empty.</summary>
    public ImmutableArray<Exception> Exceptions =>
        Result.Results.Select(r => r.Exception).OfType<Exception>().ToImmutableArray();

    /// <summary>Diagnostics of the compiled result (user code plus generated code) that a build would show.</summary>
    public ImmutableArray<Diagnostic> OutputWarningsAndErrors =>
        OutputDiagnostics.Where(d => d.Severity >= DiagnosticSeverity.Warning).ToImmutableArray();

    public ImmutableArray<Diagnostic> Dsl =>
        GeneratorDiagnostics.Where(d => d.Id.StartsWith("DSL", StringComparison.Ordinal)).ToImmutableArray();

    public string Source(string hintSuffix) =>
        Sources.Single(s => s.HintName.EndsWith(hintSuffix, StringComparison.Ordinal)).Text;
}

internal sealed record GeneratedFile(string HintName, string Text);

/// <summary>
/// Builds a <see cref="CSharpCompilation"/> the way a user's net10.0 project would (latest C#, nullable enabled,
/// no implicit usings, all warnings), references offline from Basic.Reference.Assemblies.Net100 plus the
/// DslNet runtime and kernels assemblies, and runs <see cref="NetworkGenerator"/> over it with step tracking.
/// </summary>
internal static class GeneratorHarness
{
    public static readonly CSharpParseOptions ParseOptions = new CSharpParseOptions(
        LanguageVersion.Latest, DocumentationMode.Diagnose);

    private static readonly CSharpCompilationOptions CompilationOptions = new CSharpCompilationOptions(
            OutputKind.DynamicallyLinkedLibrary,
            nullableContextOptions: NullableContextOptions.Enable,
            allowUnsafe: false,
            warningLevel: 9999,
            deterministic: true)
        // Documentation comments are parsed and checked (a broken cref in generated code is a warning), but the
        // test sources themselves carry none, so "missing XML comment" is off.
        .WithSpecificDiagnosticOptions(new Dictionary<string, ReportDiagnostic> { ["CS1591"] = ReportDiagnostic.Suppress });

    /// <summary>The DslNet.Runtime assembly (attributes, model types) that generated code and user code use.</summary>
    public static string RuntimeAssemblyPath => typeof(DslNet.NetworkAttribute).Assembly.Location;

    /// <summary>DslNet.Kernels sits next to the runtime: the runtime project references it, so the build copies it.</summary>
    public static string KernelsAssemblyPath =>
        Path.Combine(Path.GetDirectoryName(RuntimeAssemblyPath)!, "DslNet.Kernels.dll");

    private static readonly Lazy<ImmutableArray<MetadataReference>> LazyReferences = new(() =>
        Basic.Reference.Assemblies.Net100.References.All
            .Cast<MetadataReference>()
            .Append(MetadataReference.CreateFromFile(RuntimeAssemblyPath))
            .Append(MetadataReference.CreateFromFile(KernelsAssemblyPath))
            .ToImmutableArray());

    public static ImmutableArray<MetadataReference> References => LazyReferences.Value;

    // ILGPU sits next to the runtime too (the runtime's device path references it); with it the generator also
    // writes the device kernels, as it does in a project that references the DslNet package.
    private static readonly Lazy<ImmutableArray<MetadataReference>> LazyDeviceReferences = new(() =>
        References
            .Append(MetadataReference.CreateFromFile(Path.Combine(Path.GetDirectoryName(RuntimeAssemblyPath)!, "ILGPU.dll")))
            .Append(MetadataReference.CreateFromFile(Path.Combine(Path.GetDirectoryName(RuntimeAssemblyPath)!, "ILGPU.Algorithms.dll")))
            .ToImmutableArray());

    public static SyntaxTree Parse(string source, string path = "Model.cs") =>
        CSharpSyntaxTree.ParseText(source, ParseOptions, path);

    /// <summary>A compilation of the given sources; the n-th source is the file "Model.cs", "Model1.cs", ...</summary>
    public static CSharpCompilation Compilation(params string[] sources) =>
        CSharpCompilation.Create(
            "UserModels",
            sources.Select((s, i) => Parse(s, i == 0 ? "Model.cs" : $"Model{i}.cs")),
            References,
            CompilationOptions);

    /// <summary>As <see cref="Compilation"/>, also referencing ILGPU, so the device path is generated too. ILGPU is
    /// built against an older System.Runtime: CS1701/CS1702 (unification) are off, as the SDK turns them off.</summary>
    public static CSharpCompilation CompilationWithDevices(params string[] sources)
    {
        var compilation = Compilation(sources);
        var unification = new Dictionary<string, ReportDiagnostic> { ["CS1701"] = ReportDiagnostic.Suppress, ["CS1702"] = ReportDiagnostic.Suppress };
        return compilation
            .WithReferences(LazyDeviceReferences.Value)
            .WithOptions(compilation.Options.WithSpecificDiagnosticOptions(compilation.Options.SpecificDiagnosticOptions.SetItems(unification)));
    }

    public static GeneratorDriver CreateDriver() =>
        CSharpGeneratorDriver.Create(
            new[] { new NetworkGenerator().AsSourceGenerator() },
            parseOptions: ParseOptions,
            driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));

    public static GeneratorRun Run(params string[] sources) => Run(Compilation(sources));

    public static GeneratorRun Run(CSharpCompilation compilation, GeneratorDriver? driver = null)
    {
        driver = (driver ?? CreateDriver()).RunGeneratorsAndUpdateCompilation(compilation, out var output, out _);
        var result = driver.GetRunResult();
        var sources = result.Results
            .SelectMany(r => r.GeneratedSources)
            .Select(s => new GeneratedFile(s.HintName, s.SourceText.ToString()))
            .ToImmutableArray();
        return new GeneratorRun(driver, result, compilation, output, sources, result.Diagnostics);
    }

    /// <summary>A readable list for assertion messages: "Model.cs(3,6): error DSL0004: ...".</summary>
    public static string Describe(IEnumerable<Diagnostic> diagnostics)
    {
        var lines = diagnostics.Select(d => d.ToString()).ToList();
        return lines.Count == 0 ? "(none)" : string.Join(Environment.NewLine, lines);
    }
}
