using System.Diagnostics;
using System.IO.Compression;
using System.Text;
using System.Xml.Linq;
using Xunit.Abstractions;

namespace DslNet.Package.Tests;

/// <summary>
/// SLOW (a few minutes; it runs dotnet pack twice, restore, build and run): a copy of the working tree runs the
/// README's own pack command as written, a fresh console project outside the repository references the package
/// from that folder (plus nuget.org for its dependencies), declares a model, builds — the generator runs, and a
/// planted misuse (Adam with weight decay) shows as DSL2001 — and runs, training a few steps. A re-pack must be a
/// new version that the consumer then resolves. Filter it out with <c>--filter Category!=Slow</c>.
/// </summary>
[Trait("Category", "Slow")]
public sealed class PackageTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _temp = Directory.CreateTempSubdirectory("dslnet-package-").FullName;
    private readonly List<string> _packedVersions = [];

    [Fact]
    public void Package_carries_the_libraries_and_the_analyzers_and_works_in_a_fresh_project()
    {
        var root = RepositoryRoot();
        var clone = Path.Combine(_temp, "clone");
        CopyWorkingTree(root, clone);
        var feed = Path.Combine(clone, "packages");

        var package = PackAsTheReadmeSays(clone, feed);
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
              <packageSourceMapping>
                <packageSource key="local"><package pattern="DslNet" /></packageSource>
                <packageSource key="nuget.org"><package pattern="*" /></packageSource>
              </packageSourceMapping>
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
                <PackageReference Include="DslNet" Version="{VersionPrefix(root)}-*" />
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
        Assert.Equal(_packedVersions[0], ResolvedVersion(app));

        // A re-pack is a new version (its own UTC second), and the consumer's next restore takes it.
        Thread.Sleep(TimeSpan.FromSeconds(1.1));
        PackAsTheReadmeSays(clone, feed);
        Assert.NotEqual(_packedVersions[0], _packedVersions[1]);
        var (restoreCode, restoreOutput) = Dotnet(app, "restore", "--force-evaluate");
        Assert.True(restoreCode == 0, "The consumer project does not restore after a re-pack:\n" + restoreOutput);
        Assert.Equal(_packedVersions[1], ResolvedVersion(app));
    }

    /// <summary>Runs the README's pack command exactly as written there; returns the package it made.</summary>
    private string PackAsTheReadmeSays(string clone, string feed)
    {
        var command = File.ReadAllLines(Path.Combine(clone, "README.md"))
            .Select(l => l.Split('#')[0].Trim())
            .Single(l => l.StartsWith("dotnet pack ", StringComparison.Ordinal));
        var before = Directory.Exists(feed) ? Directory.GetFiles(feed, "*.nupkg").ToHashSet() : [];
        var (code, text) = Run(clone, "bash", "-c", command);
        Assert.True(code == 0, $"The README's pack command ({command}) failed:\n{text}");
        var package = Assert.Single(Directory.GetFiles(feed, "*.nupkg"), p => !before.Contains(p));
        var version = Path.GetFileNameWithoutExtension(package)["DslNet.".Length..];
        Assert.StartsWith(VersionPrefix(clone) + "-local.", version);
        _packedVersions.Add(version);
        return package;
    }

    /// <summary>The files git tracks or would track (not bin/obj), as a fresh clone of this working tree has them.</summary>
    private void CopyWorkingTree(string root, string destination)
    {
        var (code, text) = Run(root, "git", "ls-files", "--cached", "--others", "--exclude-standard");
        Assert.True(code == 0, "git ls-files failed:\n" + text);
        foreach (var relative in text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var source = Path.Combine(root, relative);
            if (!File.Exists(source)) continue;                       // deleted in the working tree
            var target = Path.Combine(destination, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(source, target);
        }
    }

    private static string VersionPrefix(string root) =>
        XDocument.Load(Path.Combine(root, "Directory.Build.props")).Descendants("VersionPrefix").Single().Value;

    private static string ResolvedVersion(string app)
    {
        using var assets = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(app, "obj", "project.assets.json")));
        var library = assets.RootElement.GetProperty("libraries").EnumerateObject()
            .Single(l => l.Name.StartsWith("DslNet/", StringComparison.OrdinalIgnoreCase));
        return library.Name["DslNet/".Length..];
    }

    private (int ExitCode, string Output) Dotnet(string directory, params string[] arguments) => Run(directory, "dotnet", arguments);

    private (int ExitCode, string Output) Run(string directory, string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program) { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
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
        // A pack of a fresh copy compiles four projects; on two busy cores that can take minutes.
        if (!process.WaitForExit(TimeSpan.FromMinutes(10)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} {string.Join(' ', arguments)} took more than 10 minutes:\n{text}");
        }
        process.WaitForExit();
        output.WriteLine($"$ {program} {string.Join(' ', arguments)} (exit {process.ExitCode})");
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
        // The extracted copies of this run's versions in the global packages folder.
        var packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
                       ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        foreach (var version in _packedVersions)
            try { Directory.Delete(Path.Combine(packages, "dslnet", version), recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
