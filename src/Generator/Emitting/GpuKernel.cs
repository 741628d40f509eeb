namespace DslNet.Generator.Emitting
{
    /// <summary>
    /// One kernel of the device path: a static method over <c>NetworkViews</c> whose body calls one device function of
    /// DslNet.Kernels.Gpu, the launch configuration it runs with, and the comment that says what it computes. The
    /// device emitter writes and launches them; layer kinds (Layers/) spell their own.
    /// </summary>
    internal sealed class GpuKernel
    {
        public GpuKernel(string name, string config, string body, string comment, string? condition = null, string? libraryGemm = null)
        {
            Name = name;
            Config = config;
            Body = body;
            Comment = comment;
            Condition = condition;
            LibraryGemm = libraryGemm;
        }

        public string Name { get; }
        public string Config { get; }
        public string Body { get; }
        public string Comment { get; }

        /// <summary>When the launch code runs the kernel (null: always).</summary>
        public string? Condition { get; }

        /// <summary>For a library-eligible GEMM: the <c>LibraryGemm(…)</c> arguments that replace this kernel at large batches,
        /// followed by the kernel named this one's name + "Epilogue".</summary>
        public string? LibraryGemm { get; }
    }
}
