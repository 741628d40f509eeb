using ILGPU;

namespace DslNet.Kernels.Gpu;

/// <summary>
/// A scalar sum over a grid of <see cref="RowGroup"/> groups without floating-point atomics: each group writes its sum
/// into its own slot, and <see cref="Merge"/> adds the slots in a fixed order. The result depends only on the launch
/// shape, so a run gives the same bits every time on a GPU too (atomic adds land in whatever order the groups finish).
/// It also keeps ILGPU's CPU accelerator out of a trap: there an atomic add of a double is a compare-exchange loop that
/// compares by value, so once the total is NaN (an fp16 overflow's ∞ − ∞ in a gradient) it never succeeds and never ends.
/// </summary>
public static class GroupPartials
{
    /// <summary>Most groups a partial-sum kernel launches, and so most slots its partials take; beyond it threads stride.</summary>
    public const int MaxGroups = 1024;

    /// <summary>The groups a kernel reducing <paramref name="count"/> values launches (one thread per value, up to
    /// <see cref="MaxGroups"/> groups).</summary>
    public static int Groups(int count) => Math.Max(1, Math.Min(MaxGroups, (count + RowGroup.Size - 1) / RowGroup.Size));

    /// <summary>The grid of a partial-sum kernel over <paramref name="count"/> values (grid-stride over <see cref="Groups"/>).</summary>
    public static KernelConfig Config(int count) => RowGroup.Config(Groups(count));

    /// <summary>The grid of <see cref="Merge"/>: one group.</summary>
    public static KernelConfig MergeConfig => RowGroup.Config(1);

    /// <summary>The group's sum of <paramref name="value"/> into slots[group]. Every thread of the group calls it.</summary>
    public static void Write(double value, ArrayView<double> slots)
    {
        double sum = GpuReduce.SumOverGroup(value);
        if (Group.IdxX == 0) slots[Grid.IdxX] = sum;
    }

    /// <summary>
    /// result[0] = Σ slots, in a fixed order: lane l adds slots l, l + <see cref="RowGroup.Size"/>, … in turn, then the
    /// group adds the lanes' sums in its tree order. Slots no group wrote must be zero (they add nothing, exactly).
    /// </summary>
    public static void Merge(ArrayView<double> slots, ArrayView<double> result)
    {
        double sum = 0;
        for (int slot = Group.IdxX; slot < slots.IntLength; slot += RowGroup.Size) sum += slots[slot];
        sum = GpuReduce.SumOverGroup(sum);
        if (Group.IdxX == 0) result[0] = sum;
    }
}
