using DslNet.Kernels.Cpu;

namespace DslNet.Kernels.Tests;

/// <summary>Double-precision twins of the activations, and a name-to-functor switch for theories.</summary>
internal static class ActivationReference
{
    public static readonly string[] Names = ["Identity", "Relu", "LeakyRelu", "Tanh", "Sigmoid", "GeluTanh", "GeluExact", "Silu"];

    public static double Apply(string name, double u) => name switch
    {
        "Identity" => u,
        "Relu" => Math.Max(u, 0),
        "LeakyRelu" => u > 0 ? u : 0.01 * u,
        "Tanh" => Math.Tanh(u),
        "Sigmoid" => 1 / (1 + Math.Exp(-u)),
        "GeluTanh" => 0.5 * u * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (u + 0.044715 * u * u * u))),
        "GeluExact" => u * NormalCdf(u),
        "Silu" => u / (1 + Math.Exp(-u)),
        _ => throw new ArgumentException(name),
    };

    /// <summary>f'(u) from a central difference of the double function (h small enough for ~1e-9 accuracy).</summary>
    public static double Derivative(string name, double u)
    {
        if (name is "Relu" or "LeakyRelu")
        {
            return u > 0 ? 1 : name == "Relu" ? 0 : 0.01;
        }

        const double H = 1e-5;
        return (Apply(name, u + H) - Apply(name, u - H)) / (2 * H);
    }

    /// <summary>Calls <paramref name="visitor"/> with the functor named <paramref name="name"/>.</summary>
    public static void Visit(string name, IActivationVisitor visitor)
    {
        switch (name)
        {
            case "Identity": visitor.Visit(default(Identity)); break;
            case "Relu": visitor.Visit(default(Relu)); break;
            case "LeakyRelu": visitor.Visit(new LeakyRelu(0.01f)); break;
            case "Tanh": visitor.Visit(default(Tanh)); break;
            case "Sigmoid": visitor.Visit(default(Sigmoid)); break;
            case "GeluTanh": visitor.Visit(default(GeluTanh)); break;
            case "GeluExact": visitor.Visit(default(GeluExact)); break;
            case "Silu": visitor.Visit(default(Silu)); break;
            default: throw new ArgumentException(name);
        }
    }

    // Φ(u) via erfc from a power series (|x| < 3) or continued fraction, both good to ~1e-14.
    private static double NormalCdf(double u)
    {
        double x = u / Math.Sqrt(2);
        return x < 0 ? 0.5 * Erfc(-x) : 1 - 0.5 * Erfc(x);
    }

    private static double Erfc(double x)
    {
        if (x < 3)
        {
            // erf(x) = 2/sqrt(pi) * exp(-x²) * Σ 2^n x^(2n+1) / (1·3·…·(2n+1)): positive terms, no cancellation.
            double term = x, sum = x;
            for (int n = 1; n < 200; n++)
            {
                term *= 2 * x * x / (2 * n + 1);
                sum += term;
            }

            return 1 - 2 / Math.Sqrt(Math.PI) * Math.Exp(-x * x) * sum;
        }

        double f = 0;
        for (int n = 60; n >= 1; n--)
        {
            f = n / 2.0 / (x + f);
        }

        return Math.Exp(-x * x) / Math.Sqrt(Math.PI) / (x + f);
    }
}

internal interface IActivationVisitor
{
    void Visit<TAct>(TAct activation)
        where TAct : struct, IActivation;
}
