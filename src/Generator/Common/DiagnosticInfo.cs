using System.Linq;
using Microsoft.CodeAnalysis;

namespace DslNet.Generator.Common
{
    /// <summary>A diagnostic decided by a pure stage: the descriptor's ID, where, and the message arguments.</summary>
    internal sealed record DiagnosticInfo(string Id, LocationInfo? Location, EquatableArray<string> Arguments)
    {
        public static DiagnosticInfo Create(DiagnosticDescriptor descriptor, LocationInfo? location, params object[] arguments) =>
            new DiagnosticInfo(descriptor.Id, location, arguments.Select(a => a?.ToString() ?? "").ToEquatableArray());

        public Diagnostic ToDiagnostic() =>
            Diagnostic.Create(Diagnostics.ById(Id), Location?.ToLocation() ?? Microsoft.CodeAnalysis.Location.None, Arguments.ToArray<object>());

        /// <summary>The diagnostic located in <paramref name="compilation"/>'s syntax tree, so source suppressions apply.</summary>
        public Diagnostic ToDiagnostic(Compilation compilation) =>
            Diagnostic.Create(Diagnostics.ById(Id), Location?.ToLocation(compilation) ?? Microsoft.CodeAnalysis.Location.None, Arguments.ToArray<object>());
    }
}
