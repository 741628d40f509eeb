using System.Collections.Generic;

namespace DslNet.Generator.Emitting.Spatial
{
    /// <summary>
    /// One generated kernel of an image model's device path: one thread per element of <see cref="Threads"/>, each calling a
    /// device function of DslNet.Kernels.Gpu.Spatial with the views it declares; or, <see cref="GridStride"/>, one call of a
    /// device function that walks the grid itself (the losses, the residual gradient copy, the eval-mode BatchNorm affine).
    /// </summary>
    internal sealed class DeviceKernel
    {
        public DeviceKernel(string name, string comment, string threads, string call, params (string Name, string View)[] views)
        {
            Name = name;
            Comment = comment;
            Threads = threads;
            Call = call;
            Views = views;
        }

        public string Name { get; }
        public string Comment { get; }

        /// <summary>The thread count with <c>{rows}</c> for the batch's rows, e.g. <c>{rows} * 6272</c> or <c>32</c>.</summary>
        public string Threads { get; }

        /// <summary>The call per thread index <c>e</c> (or the whole body, for <see cref="GridStride"/>).</summary>
        public string Call { get; }

        public IReadOnlyList<(string Name, string View)> Views { get; }

        public bool GridStride { get; private set; }

        /// <summary>The launch configuration; for <see cref="GridStride"/> kernels the device function's own.</summary>
        public string? Config { get; private set; }

        /// <summary>For a library-eligible convolution GEMM: what replaces this kernel from the crossover on, in launch order
        /// (im2col, the weight in the columns' order, the library GEMM, its epilogue); null: this kernel always runs.</summary>
        public IReadOnlyList<LibraryLaunch>? Library { get; private set; }

        public DeviceKernel WithLibrary(IReadOnlyList<LibraryLaunch> route)
        {
            Library = route;
            return this;
        }

        public static DeviceKernel Strided(string name, string comment, string config, string call) =>
            new DeviceKernel(name, comment, "", call) { GridStride = true, Config = config };

        public string LaunchThreads => Threads.Replace("{rows}", "rows");

        public string KernelThreads => Threads.Replace("{rows}", "v.Rows");
    }

    /// <summary>One launch of a library route: a kernel, or the library GEMM's call (<c>LibraryGemm(…)</c>).</summary>
    internal sealed class LibraryLaunch
    {
        private LibraryLaunch(DeviceKernel? kernel, string? gemm)
        {
            Kernel = kernel;
            Gemm = gemm;
        }

        public DeviceKernel? Kernel { get; }
        public string? Gemm { get; }

        public static LibraryLaunch Of(DeviceKernel kernel) => new LibraryLaunch(kernel, null);

        /// <summary>C (m × n, row-major) = A·B with A(i, k) = a[i·aRow + k·aCol] and B(k, j) = b[k·bRow + j·bCol], into the
        /// product buffer or <paramref name="product"/>: each matrix with its strides on a line, then m, n and k, all named.</summary>
        public static LibraryLaunch LibraryGemm(string a, string aRow, string aCol, string b, string bRow, string bCol, string m, string n, string k,
            string? product = null) =>
            new LibraryLaunch(null, $"LibraryGemm({a}, aRow: {aRow}, aCol: {aCol},\n    {b}, bRow: {bRow}, bCol: {bCol},\n    m: {m}, n: {n}, k: {k}" +
                                    (product == null ? ")" : $", product: {product})"));
    }
}
