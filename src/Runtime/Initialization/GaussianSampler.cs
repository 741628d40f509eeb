namespace DslNet;

/// <summary>
/// Standard normal numbers from a <see cref="Random"/> by the Box–Muller transform, using both values of each
/// pair, so a seed gives the same sequence everywhere .NET's seeded <see cref="Random"/> is stable.
/// </summary>
internal struct GaussianSampler(Random random)
{
    private double _spare;
    private bool _hasSpare;

    public double Next()
    {
        if (_hasSpare)
        {
            _hasSpare = false;
            return _spare;
        }

        // 1 - u lies in (0, 1], so the logarithm is finite.
        var radius = Math.Sqrt(-2.0 * Math.Log(1.0 - random.NextDouble()));
        var angle = 2.0 * Math.PI * random.NextDouble();
        _spare = radius * Math.Sin(angle);
        _hasSpare = true;
        return radius * Math.Cos(angle);
    }
}
