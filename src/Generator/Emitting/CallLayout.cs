using System.Collections.Generic;
using System.Text;

namespace DslNet.Generator.Emitting
{
    /// <summary>
    /// Lays out a generated call that does not fit in a line as a careful person would: the call's head and <c>(</c>, then
    /// one argument group per line, one level deeper, each laid out the same way when it is itself a call that does not
    /// fit. A group is one argument, or arguments the emitter glued with <see cref="Group"/> (a matrix and its strides;
    /// m, n, k), which stay on one line while they fit. It reads only expressions the emitters build: no string
    /// literals, no lambdas, and <c>&lt;</c> only in type arguments.
    /// </summary>
    internal static class CallLayout
    {
        /// <summary>The longest generated line allowed: the project keeps lines under 160 characters.</summary>
        public const int MaxLineLength = 159;

        private const char Glue = '\u0001';

        /// <summary>Arguments that belong together, kept on one line when their call wraps.</summary>
        public static string Group(params string[] arguments) => string.Join("," + Glue + " ", arguments);

        /// <summary>
        /// The expression laid out so that no line passes <see cref="MaxLineLength"/>, its first line starting at
        /// <paramref name="column"/> and followed by <paramref name="trailing"/> characters (a <c>;</c>, say). Lines after the
        /// first are indented relative to the first line's indentation; line breaks already in the text are dropped.
        /// </summary>
        public static string Fit(string expression, int column, int trailing = 0)
        {
            var text = Collapse(expression);
            if (column + Flat(text).Length + trailing <= MaxLineLength || !TrySplitCall(text, out var head, out var arguments))
                return Flat(text);
            var result = new StringBuilder(Flat(head)).Append('(');
            var groups = new List<string>();
            foreach (var argument in arguments)
            {
                // A glued group that does not fit on its line is laid out one argument per line after all.
                if (column + 4 + Flat(argument).Length + 1 > MaxLineLength && argument.IndexOf(Glue) >= 0)
                    groups.AddRange(Split(argument, splitGlued: true));
                else
                    groups.Add(argument);
            }
            for (var i = 0; i < groups.Count; i++)
            {
                var end = i == groups.Count - 1 ? ")" : ",";
                var inner = Fit(groups[i], column + 4, end.Length + (i == groups.Count - 1 ? trailing : 0));
                result.Append("\n    ").Append(inner.Replace("\n", "\n    ")).Append(end);
            }
            return result.ToString();
        }

        /// <summary>Splits a call <c>head(arguments)</c> whose closing parenthesis ends the expression; false for anything else.</summary>
        public static bool TrySplit(string call, out string head, out List<string> arguments) => TrySplitCall(Collapse(call), out head, out arguments);

        private static string Flat(string text) => text.Replace("," + Glue, ",");

        private static string Collapse(string text)
        {
            var result = new StringBuilder(text.Length);
            for (var i = 0; i < text.Length; i++)
            {
                if (text[i] != '\n')
                {
                    result.Append(text[i]);
                    continue;
                }
                while (i + 1 < text.Length && text[i + 1] == ' ') i++;
                if (result.Length > 0 && result[result.Length - 1] != ' ') result.Append(' ');
            }
            return result.ToString();
        }

        /// <summary>Splits <c>head(arguments)</c>, where the call's closing parenthesis ends the expression.</summary>
        private static bool TrySplitCall(string text, out string head, out List<string> arguments)
        {
            head = "";
            arguments = new List<string>();
            var open = -1;
            var depth = 0;
            for (var i = 0; i < text.Length; i++)
            {
                var c = text[i];
                if (c == '(' && depth == 0 && open < 0)
                {
                    open = i;
                    depth++;
                }
                else if (IsOpening(text, i)) depth++;
                else if (IsClosing(text, i))
                {
                    depth--;
                    if (depth == 0 && open >= 0 && c == ')' && i != text.Length - 1) return false;
                }
            }
            if (open <= 0 || text[text.Length - 1] != ')' || !IsIdentifierEnd(text[open - 1])) return false;
            head = text.Substring(0, open);
            arguments = Split(text.Substring(open + 1, text.Length - open - 2), splitGlued: false);
            return arguments.Count > 0 && arguments[0].Length > 0;
        }

        /// <summary>The top-level arguments of an argument list (glued groups kept whole unless <paramref name="splitGlued"/>).</summary>
        private static List<string> Split(string list, bool splitGlued)
        {
            var parts = new List<string>();
            var depth = 0;
            var start = 0;
            for (var i = 0; i < list.Length; i++)
            {
                if (IsOpening(list, i)) depth++;
                else if (IsClosing(list, i)) depth--;
                else if (list[i] == ',' && depth == 0)
                {
                    var glued = i + 1 < list.Length && list[i + 1] == Glue;
                    if (glued && !splitGlued) continue;
                    parts.Add(list.Substring(start, i - start).Trim(' ', Glue));
                    start = i + 1;
                }
            }
            parts.Add(list.Substring(start).Trim(' ', Glue));
            return parts;
        }

        private static bool IsOpening(string text, int i) =>
            text[i] == '(' || text[i] == '[' || text[i] == '{' || (text[i] == '<' && i > 0 && IsIdentifierEnd(text[i - 1]));

        private static bool IsClosing(string text, int i) =>
            text[i] == ')' || text[i] == ']' || text[i] == '}' || (text[i] == '>' && i > 0 && text[i - 1] != '=' && text[i - 1] != ' ');

        private static bool IsIdentifierEnd(char c) => char.IsLetterOrDigit(c) || c == '_' || c == '>';
    }
}
