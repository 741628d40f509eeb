using System.Numerics;

namespace DslNet;

/// <summary>
/// <c>torch.nn.init.orthogonal_</c>: the Q factor of a Gaussian matrix, with the sign correction that makes the
/// decomposition unique (R's diagonal positive), times the gain. A wide weight gets orthonormal rows, a tall
/// one orthonormal columns.
/// </summary>
/// <remarks>
/// PyTorch runs a Householder QR and multiplies Q's columns by sign(diag R). The Gram–Schmidt process builds
/// exactly that Q directly: each column's R entry is a norm, hence positive. Gram–Schmidt is run twice per
/// column ("twice is enough"), which keeps Q orthogonal to rounding in double precision.
/// </remarks>
internal static class OrthogonalInitializer
{
    public static void Fill(Span<float> weight, int units, int inputs, double gain, Random random)
    {
        // Work on the tall orientation: `rows` ≥ `columns`, column-major, one contiguous array per column.
        var transposed = units < inputs;
        var rows = transposed ? inputs : units;
        var columns = transposed ? units : inputs;

        var gaussian = new GaussianSampler(random);
        var q = new double[columns][];
        for (var c = 0; c < columns; c++)
        {
            q[c] = new double[rows];
            for (var r = 0; r < rows; r++) q[c][r] = gaussian.Next();
        }

        for (var c = 0; c < columns; c++)
        {
            var column = q[c];
            for (var pass = 0; pass < 2; pass++)
                for (var previous = 0; previous < c; previous++)
                    SubtractProjection(column, q[previous]);
            Scale(column, 1.0 / Math.Sqrt(Dot(column, column)));
        }

        // Column c of the tall matrix is column c of the weight ([units, inputs] row-major) when units ≥ inputs,
        // and row c of it otherwise.
        for (var c = 0; c < columns; c++)
            for (var r = 0; r < rows; r++)
            {
                var index = transposed ? c * inputs + r : r * inputs + c;
                weight[index] = (float)(gain * q[c][r]);
            }
    }

    private static void SubtractProjection(double[] column, double[] unit)
    {
        var projection = Dot(column, unit);
        var i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var vProjection = new Vector<double>(projection);
            for (; i <= column.Length - Vector<double>.Count; i += Vector<double>.Count)
                (new Vector<double>(column, i) - vProjection * new Vector<double>(unit, i)).CopyTo(column, i);
        }

        for (; i < column.Length; i++) column[i] -= projection * unit[i];
    }

    private static double Dot(double[] a, double[] b)
    {
        var i = 0;
        var sum = 0.0;
        if (Vector.IsHardwareAccelerated)
        {
            var vSum = Vector<double>.Zero;
            for (; i <= a.Length - Vector<double>.Count; i += Vector<double>.Count)
                vSum += new Vector<double>(a, i) * new Vector<double>(b, i);
            sum = Vector.Sum(vSum);
        }

        for (; i < a.Length; i++) sum += a[i] * b[i];
        return sum;
    }

    private static void Scale(double[] column, double factor)
    {
        for (var i = 0; i < column.Length; i++) column[i] *= factor;
    }
}
