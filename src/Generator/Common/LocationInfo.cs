using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace DslNet.Generator.Common
{
    /// <summary>A source location without Roslyn objects, so specs holding it stay cacheable.</summary>
    internal sealed record LocationInfo(string FilePath, TextSpan Span, LinePositionSpan LineSpan)
    {
        public Location ToLocation() => Location.Create(FilePath, Span, LineSpan);

        /// <summary>
        /// The location in <paramref name="compilation"/>'s syntax tree of the same path: an in-source location, which
        /// #pragma warning disable, [SuppressMessage] and per-file .editorconfig severities apply to. One made from
        /// the path alone (<see cref="ToLocation()"/>) is an external-file location, which all of those ignore.
        /// </summary>
        public Location ToLocation(Compilation compilation)
        {
            SyntaxTree? match = null;
            foreach (var tree in compilation.SyntaxTrees)
            {
                if (tree.FilePath != FilePath) continue;
                if (match != null) return ToLocation(); // two trees share the path: cannot tell which one
                match = tree;
            }
            return match != null && Span.End <= match.Length ? Location.Create(match, Span) : ToLocation();
        }

        public static LocationInfo? From(SyntaxNode? node) => From(node?.GetLocation());

        public static LocationInfo? From(Location? location)
        {
            if (location is null || location.SourceTree is null) return null;
            return new LocationInfo(location.SourceTree.FilePath, location.SourceSpan, location.GetLineSpan().Span);
        }
    }
}
