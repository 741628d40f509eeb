using System.Runtime.CompilerServices;

// The parser, planner and emitters are internal; their tests exercise each stage on its own.
[assembly: InternalsVisibleTo("DslNet.Generator.Tests")]
