using System.Diagnostics;
using System.Text;

namespace DslNet.Distributed.Tests;

/// <summary>One run of the test worker under real <c>mpirun</c>, through the repository's launcher script, bounded by a timeout.</summary>
internal sealed record MpiJob(int ExitCode, string Output, TimeSpan Elapsed, IReadOnlyList<(TimeSpan At, string Line)> Lines)
{
    /// <summary>Long enough for a loaded 2-core CI machine to start the ranks; a hang fails the test instead of stalling CI.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(150);

    public static MpiJob Run(int ranks, params string[] arguments) => Run(ranks, DefaultTimeout, arguments);

    public static MpiJob Run(int ranks, TimeSpan timeout, params string[] arguments) => RunProgram(ranks, timeout, WorkerPath, arguments);

    /// <summary>The StreamRec sample's build for this configuration (the worker's project reference builds it).</summary>
    public static string StreamRecPath => Path.Combine(Path.GetDirectoryName(WorkerPath)!, "StreamRec.dll");

    /// <summary>Runs <paramref name="program"/> (a .NET assembly) on <paramref name="ranks"/> ranks.</summary>
    public static MpiJob RunProgram(int ranks, TimeSpan timeout, string program, params string[] arguments)
    {
        var start = new ProcessStartInfo("bash")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = RepositoryRoot,
        };
        foreach (var argument in new[] { Path.Combine(RepositoryRoot, "scripts", "mpirun.sh"), "-np", ranks.ToString(), "dotnet", program }.Concat(arguments))
            start.ArgumentList.Add(argument);
        start.Environment["DSLNET_THREADS"] = "1";   // ranks share 2 cores: one compute thread each

        var lines = new List<(TimeSpan, string)>();
        var output = new StringBuilder();
        var clock = Stopwatch.StartNew();
        using var process = new Process { StartInfo = start };
        void Collect(object _, DataReceivedEventArgs e)
        {
            if (e.Data is null) return;
            lock (lines)
            {
                lines.Add((clock.Elapsed, e.Data));
                output.AppendLine(e.Data);
            }
        }
        process.OutputDataReceived += Collect;
        process.ErrorDataReceived += Collect;
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            throw new TimeoutException($"mpirun -np {ranks} {string.Join(' ', arguments)} did not end within {timeout.TotalSeconds} s. Output so far:\n{output}");
        }
        process.WaitForExit(); // drains the redirected streams
        lock (lines) return new MpiJob(process.ExitCode, output.ToString(), clock.Elapsed, lines.ToArray());
    }

    /// <summary>The lines rank <paramref name="rank"/> printed that start with <paramref name="prefix"/> (after the rank tag).</summary>
    public IReadOnlyList<string> From(int rank, string prefix)
    {
        var tag = $"[{rank}] {prefix}";
        return Lines.Select(l => l.Line).Where(l => l.StartsWith(tag, StringComparison.Ordinal)).Select(l => l[$"[{rank}] ".Length..]).ToArray();
    }

    /// <summary>The single line of rank <paramref name="rank"/> starting with <paramref name="prefix"/>; fails with the whole output otherwise.</summary>
    public string Single(int rank, string prefix)
    {
        var found = From(rank, prefix);
        Assert.True(found.Count == 1, $"Expected one '{prefix}' line from rank {rank}, found {found.Count}. Exit code {ExitCode}. Output:\n{Output}");
        return found[0];
    }

    /// <summary>The value after <c>name=</c> in a line of <c>name=value</c> pairs.</summary>
    public static string Field(string line, string name)
    {
        var token = line.Split(' ').FirstOrDefault(t => t.StartsWith(name + "=", StringComparison.Ordinal));
        Assert.True(token is not null, $"No {name}= in '{line}'.");
        return token![(name.Length + 1)..];
    }

    private static readonly string RepositoryRoot = FindRepositoryRoot();

    /// <summary>The worker's build output for the configuration these tests were built in (the project reference builds it first).</summary>
    private static readonly string WorkerPath = FindWorker();

    private static string FindRepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
            if (File.Exists(Path.Combine(directory.FullName, "DslNet.sln"))) return directory.FullName;
        throw new InvalidOperationException($"No DslNet.sln above {AppContext.BaseDirectory}.");
    }

    private static string FindWorker()
    {
        // .../tests/DslNet.Distributed.Tests/bin/<Configuration>/<tfm>/ → .../tests/DslNet.Distributed.Worker/bin/<Configuration>/<tfm>/
        var tfm = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var configuration = tfm.Parent!;
        var path = Path.Combine(RepositoryRoot, "tests", "DslNet.Distributed.Worker", "bin", configuration.Name, tfm.Name, "DslNet.Distributed.Worker.dll");
        if (!File.Exists(path)) throw new FileNotFoundException($"The test worker is not built at {path}.", path);
        return path;
    }
}
