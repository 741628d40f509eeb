using System.Diagnostics;
using System.IO.Compression;
using System.Text;
using System.Xml.Linq;
using Xunit.Abstractions;

namespace DslNet.Package.Tests;

/// <summary>
/// SLOW (about a minute; it runs dotnet pack, restore, build and run): the package `DslNet` is packed from
/// src/Package into a temporary folder feed, a fresh console project outside the repository references it (plus
/// nuget.org for its dependencies), declares a model, builds — the generator runs, and a planted misuse (Adam with
/// weight decay) shows as DSL2001 — and runs, training a few steps. Filter it out with
/// <c>--filter Category!=Slow</c>.
/// </summary>
[Trait("Category", "Slow")]
public sealed class PackageTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _temp = Directory.CreateTempSubdirectory("dslnet-package-").FullName;
    // A version of its own per run, so the global packages folder never serves a stale copy.
    private readonly string _version = "0.0.0-test." + DateTime.UtcNow.ToString("yyyyMMddHHmmssfff");

    [Fact]
    public void Package_carries_the_libraries_and_the_analyzers_and_works_in_a_fresh_project()
    {
        var root = RepositoryRoot();
        var feed = Path.Combine(_temp, "feed");

        // Pack with outputs of its own (artifacts path), so test runs of other projects are not disturbed.
        var (packCode, packOutput) = Dotnet(root, "pack", "src/Package/DslNet.Package.csproj", "-c", "Release", "-o", feed,
            "--artifacts-path", Path.Combine(_temp, "artifacts"), "-p:PackageVersion=" + _version);
        Assert.True(packCode == 0, "dotnet pack failed:\n" + packOutput);

        var package = Path.Combine(feed, $"DslNet.{_version}.nupkg");
        using (var zip = ZipFile.OpenRead(package))
        {
            var entries = zip.Entries.Select(e => e.FullName).ToHashSet();
            foreach (var expected in new[]
                     {
                         "lib/net10.0/DslNet.Runtime.dll", "lib/net10.0/DslNet.Kernels.dll",
                         "analyzers/dotnet/cs/DslNet.Generator.dll", "analyzers/dotnet/cs/DslNet.CodeFixes.dll",
                     })
                Assert.Contains(expected, entries);
            Assert.DoesNotContain(entries, e => e.StartsWith("lib/", StringComparison.Ordinal) && e.Contains("Generator"));

            // Every NuGet dependency of Runtime and Kernels is a dependency of the package.
            using var nuspec = zip.GetEntry("DslNet.nuspec")!.Open();
            var dependencies = XDocument.Load(nuspec).Descendants().Where(e => e.Name.LocalName == "dependency")
                .Select(e => (string)e.Attribute("id")!).ToHashSet(StringComparer.OrdinalIgnoreCase);
            foreach (var project in new[] { "src/Runtime/DslNet.Runtime.csproj", "src/Kernels/DslNet.Kernels.csproj" })
                foreach (var reference in XDocument.Load(Path.Combine(root, project)).Descendants("PackageReference"))
                    Assert.Contains((string)reference.Attribute("Include")!, dependencies);
        }

        var app = Path.Combine(_temp, "app");
        Directory.CreateDirectory(app);
        File.WriteAllText(Path.Combine(app, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="local" value="{feed}" />
                <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
              </packageSources>
            </configuration>
            """);
        File.WriteAllText(Path.Combine(app, "App.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <Nullable>enable</Nullable>
                <ImplicitUsings>enable</ImplicitUsings>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="DslNet" Version="{_version}" />
              </ItemGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(app, "Program.cs"), """
            using DslNet;

            var random = new Random(1);
            var features = new float[256 * 4];
            var labels = new float[256];
            for (var i = 0; i < labels.Length; i++)
            {
                for (var j = 0; j < 4; j++) features[i * 4 + j] = (float)(random.NextDouble() * 2 - 1);
                labels[i] = features[i * 4] + 0.5f * features[i * 4 + 1];
            }
            var data = DataSet.FromArrays(features, labels, columns: 4);

            var model = new TinyNet(seed: 7);
            var optimizer = new Adam(model.Parameters, lr: 1e-2, weightDecay: 1e-4);   // planted: DSL2001
            var first = 0f; var last = 0f;
            for (var epoch = 0; epoch < 5; epoch++)
                foreach (var batch in data.Batches(64, shuffle: true, seed: 1, epoch: epoch))
                {
                    last = model.TrainStep(batch.Features, batch.Labels);
                    if (epoch == 0 && first == 0) first = last;
                    optimizer.Step();
                }
            Console.WriteLine($"TRAINED first={first:F4} last={last:F4} parameters={TinyNet.ParameterCount}");

            [Network(Inputs = 4, Loss = Loss.MeanSquaredError)]
            public sealed partial class TinyNet
            {
                [Dense(16), Relu] public partial DenseBlock Hidden { get; }
                [Dense(1)] public partial DenseBlock Output { get; }
            }
            """);

        var (buildCode, buildOutput) = Dotnet(app, "build", "-c", "Release");
        Assert.True(buildCode == 0, "The consumer project does not build:\n" + buildOutput);
        Assert.Contains("warning DSL2001", buildOutput);
        Assert.Contains("Program.cs(14,", buildOutput);

        var (runCode, runOutput) = Dotnet(app, "run", "-c", "Release", "--no-build");
        Assert.True(runCode == 0, "The consumer project failed:\n" + runOutput);
        var line = runOutput.Split('\n').Single(l => l.StartsWith("TRAINED", StringComparison.Ordinal));
        var first = float.Parse(line.Split(' ')[1].Split('=')[1], System.Globalization.CultureInfo.InvariantCulture);
        var last = float.Parse(line.Split(' ')[2].Split('=')[1], System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(last < first, $"Training did not reduce the loss: {line}");
    }

    private (int ExitCode, string Output) Dotnet(string directory, params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        // Not the test host's MSBuild settings: the consumer is a fresh project of its own.
        foreach (var variable in new[] { "MSBuildSDKsPath", "MSBUILD_EXE_PATH", "MSBuildExtensionsPath", "VSTEST_HOST_DEBUG" })
            start.Environment.Remove(variable);
        var text = new StringBuilder();
        using var process = Process.Start(start)!;
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (text) text.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (text) text.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!process.WaitForExit(TimeSpan.FromMinutes(3)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"dotnet {string.Join(' ', arguments)} took more than 3 minutes:\n{text}");
        }
        process.WaitForExit();
        output.WriteLine($"$ dotnet {string.Join(' ', arguments)} (exit {process.ExitCode})");
        return (process.ExitCode, text.ToString());
    }

    private static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "DslNet.sln"))) directory = directory.Parent;
        return directory?.FullName ?? throw new InvalidOperationException("DslNet.sln not found above " + AppContext.BaseDirectory);
    }

    public void Dispose()
    {
        try { Directory.Delete(_temp, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        // The extracted copy of this run's version in the global packages folder.
        var packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
                       ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        try { Directory.Delete(Path.Combine(packages, "dslnet", _version), recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
