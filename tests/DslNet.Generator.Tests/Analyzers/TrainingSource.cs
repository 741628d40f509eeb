namespace DslNet.Generator.Tests.Analyzers;

/// <summary>Training-loop snippets: a method body over the model <c>Net</c> with an AdamW optimizer named <c>optimizer</c>.</summary>
internal static class TrainingSource
{
    public static string Method(string body, string name = "Run", string extraMembers = "", string usings = "") => $$"""
        using System;
        using System.Linq;
        using DslNet;
        {{usings}}

        public static class Training
        {
            public static void {{name}}(DataSet train, DataSet val, int epochs)
            {
                var model = new Net(seed: 1);
                var optimizer = new AdamW(model.Parameters, lr: 1e-3);
                {{body}}
            }
            {{extraMembers}}
        }
        """;
}
