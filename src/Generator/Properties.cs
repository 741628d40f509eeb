using System.Runtime.CompilerServices;

// The parser, planner and emitters are internal; their tests exercise each stage on its own.
[assembly: InternalsVisibleTo("DslNet.Generator.Tests")]

// The analyzer benchmark times the data-flow view and the rules on prebuilt operation trees.
[assembly: InternalsVisibleTo("DslNet.Benchmarks")]
