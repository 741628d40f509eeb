// Tests flip process-wide knobs (CpuThreads.Count, the GEMM micro-kernel) and one measures allocation, so they
// must not interleave.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
