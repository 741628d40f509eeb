using System;
using System.Text;

namespace DslNet.Generator.Emitting
{
    /// <summary>An indenting text builder; emitters write lines and blocks, never compute.</summary>
    internal sealed class SourceWriter
    {
        private readonly StringBuilder _text = new StringBuilder();
        private int _indent;

        /// <summary>The column the next line starts at.</summary>
        public int Column => _indent * 4;

        /// <summary>Writes a line at the current indentation; embedded line breaks continue at the same indentation.</summary>
        public SourceWriter Line(string line = "")
        {
            foreach (var part in line.Split('\n'))
            {
                if (part.Length > 0) _text.Append(' ', _indent * 4).Append(part);
                _text.Append('\n');
            }
            return this;
        }

        /// <summary>
        /// Like <see cref="Line"/>, but a line longer than <paramref name="limit"/> breaks after the last ", " that fits and
        /// continues four spaces deeper. Lines holding a string literal are left whole (a break there would change it).
        /// </summary>
        public SourceWriter Wrapped(string text, int limit = 128)
        {
            foreach (var line in text.Split('\n'))
            {
                var rest = line;
                var indent = new string(' ', rest.Length - rest.TrimStart(' ').Length);
                while (rest.Length > limit && rest.IndexOf('"') < 0)
                {
                    var cut = rest.LastIndexOf(", ", limit, StringComparison.Ordinal);
                    if (cut <= indent.Length + 8) break;
                    Line(rest.Substring(0, cut + 1));
                    rest = indent + "    " + rest.Substring(cut + 2);
                    indent += "    ";
                }
                Line(rest);
            }
            return this;
        }

        public IDisposable Block(string header)
        {
            Line(header);
            Line("{");
            _indent++;
            return new Closer(this);
        }

        public override string ToString() => _text.ToString();

        private sealed class Closer : IDisposable
        {
            private readonly SourceWriter _writer;

            public Closer(SourceWriter writer) => _writer = writer;

            public void Dispose()
            {
                _writer._indent--;
                _writer.Line("}");
            }
        }
    }
}
