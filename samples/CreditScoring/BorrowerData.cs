namespace DslNet.Samples.CreditScoring;

/// <summary>
/// Borrowers in raw units (row-major, <see cref="FeatureCount"/> columns), their default labels and the ground
/// truth's default logits.
/// </summary>
public sealed record BorrowerSet(float[] Raw, float[] Labels, double[] TruthLogits)
{
    public int Rows => Labels.Length;

    public double DefaultRate => Labels.Average(l => (double)l);
}

/// <summary>
/// A synthetic, deterministic (seeded) borrower population for Meridian Financial's credit model (§7.4.3). Three
/// hidden factors drive the observed features: a debt burden <c>z</c>, an income level <c>u</c> and a credit
/// tenure <c>t</c>. The four debt features (debt-to-income, credit utilization, outstanding balance, revolving balance)
/// are all noisy readings of <c>z</c>, correlated with each other at about 0.95; open credit lines and credit
/// history length both read <c>t</c> (about 0.93). The default label is drawn from a logistic ground truth over the
/// observed features that spreads its weight over each correlated group.
/// </summary>
public sealed class BorrowerData
{
    public const int FeatureCount = 11;
    public const int DefaultSeed = 2024;

    public const int DebtToIncome = 0;
    public const int Utilization = 1;
    public const int OutstandingBalance = 2;
    public const int RevolvingBalance = 3;
    public const int AnnualIncome = 4;
    public const int OpenCreditLines = 5;
    public const int HistoryMonths = 6;
    public const int Delinquencies = 7;
    public const int RecentInquiries = 8;
    public const int LoanAmount = 9;
    public const int EmploymentYears = 10;

    public static IReadOnlyList<string> FeatureNames { get; } =
    [
        "debt_to_income", "credit_utilization", "outstanding_balance", "revolving_balance", "annual_income",
        "open_credit_lines", "credit_history_months", "delinquencies_2y", "inquiries_6m", "loan_amount", "employment_years",
    ];

    /// <summary>The correlated debt-burden group: what the sample measures the coefficient spread over.</summary>
    public static IReadOnlyList<int> DebtGroup { get; } = [DebtToIncome, Utilization, OutstandingBalance, RevolvingBalance];

    // The ground truth: a default logit that is linear in the population-scaled features (fixed constants, not the
    // fitted standardizer), with weight spread across each correlated group.
    private const double Intercept = -1.45;
    private static readonly double[] Center = [0.32, 0.48, 24000, 9000, 0, 9, 130, 0.4, 0.9, 0, 6];
    private static readonly double[] Scale = [0.092, 0.175, 9300, 3300, 1, 3.1, 57, 0.7, 1.0, 1, 3.6];
    private static readonly double[] TruthWeights = [0.55, 0.45, 0.35, 0.25, -0.55, -0.2, -0.25, 0.45, 0.2, 0.15, -0.15];

    private readonly int _seed;

    public BorrowerData(int seed = DefaultSeed) => _seed = seed;

    /// <summary>Training borrowers (stream 1 of the seed).</summary>
    public BorrowerSet Train(int rows) => Generate(rows, stream: 1);

    /// <summary>Validation borrowers (stream 2 of the seed), disjoint from the training stream.</summary>
    public BorrowerSet Validation(int rows) => Generate(rows, stream: 2);

    /// <summary>The ground truth's default logit for one borrower in raw units.</summary>
    public static double TruthLogit(ReadOnlySpan<float> raw)
    {
        var logit = Intercept;
        for (var j = 0; j < FeatureCount; j++)
            logit += TruthWeights[j] * (Feature(raw, j) - Center[j]) / Scale[j];
        return logit;
    }

    /// <summary>The truth's weight per population standard deviation of each feature (for the report).</summary>
    public static double TruthWeight(int feature) => TruthWeights[feature];

    // Income and loan amount enter the truth on a log scale, the others linearly.
    private static double Feature(ReadOnlySpan<float> raw, int j) => j switch
    {
        AnnualIncome => Math.Log(raw[j] / 62000.0) / 0.35,
        LoanAmount => Math.Log(raw[j] / 15000.0) / 0.45,
        _ => raw[j],
    };

    private BorrowerSet Generate(int rows, int stream)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rows);
        var random = new Random(unchecked(_seed * 7919 + stream));
        var raw = new float[rows * FeatureCount];
        var labels = new float[rows];
        var truth = new double[rows];
        for (var r = 0; r < rows; r++)
        {
            var x = raw.AsSpan(r * FeatureCount, FeatureCount);
            double z = Normal(random), u = Normal(random), t = Normal(random);
            x[DebtToIncome] = (float)Math.Max(0.01, 0.32 + 0.09 * z + 0.012 * Normal(random));
            x[Utilization] = (float)Math.Clamp(0.48 + 0.17 * z + 0.025 * Normal(random), 0.0, 1.0);
            x[OutstandingBalance] = (float)Math.Max(200, 24000 * (1 + 0.38 * z + 0.05 * Normal(random)));
            x[RevolvingBalance] = (float)Math.Max(50, 9000 * (1 + 0.36 * z + 0.055 * Normal(random)));
            x[AnnualIncome] = (float)(62000 * Math.Exp(0.35 * u));
            x[OpenCreditLines] = (float)Math.Max(1, Math.Round(9 + 3 * t + 0.8 * Normal(random)));
            x[HistoryMonths] = (float)Math.Max(6, Math.Round(130 + 55 * t + 12 * Normal(random)));
            x[Delinquencies] = Poisson(random, Math.Exp(-1.3 + 0.55 * z + 0.3 * Normal(random)));
            x[RecentInquiries] = Poisson(random, Math.Exp(-0.25 + 0.3 * z));
            x[LoanAmount] = (float)(15000 * Math.Exp(0.25 * u + 0.37 * Normal(random)));
            x[EmploymentYears] = (float)Math.Max(0, Math.Round(6 + 2 * t + 3 * Normal(random)));

            truth[r] = TruthLogit(x);
            labels[r] = random.NextDouble() < 1.0 / (1.0 + Math.Exp(-truth[r])) ? 1f : 0f;
        }

        return new BorrowerSet(raw, labels, truth);
    }

    private static double Normal(Random random) =>
        Math.Sqrt(-2.0 * Math.Log(1.0 - random.NextDouble())) * Math.Cos(2.0 * Math.PI * random.NextDouble());

    private static float Poisson(Random random, double mean)
    {
        // Knuth's method; the means here are small.
        var limit = Math.Exp(-mean);
        var k = 0;
        var p = random.NextDouble();
        while (p > limit)
        {
            k++;
            p *= random.NextDouble();
        }

        return k;
    }

    /// <summary>Pearson correlation of two raw feature columns.</summary>
    public static double Correlation(float[] raw, int a, int b)
    {
        var rows = raw.Length / FeatureCount;
        double ma = 0, mb = 0;
        for (var r = 0; r < rows; r++)
        {
            ma += raw[r * FeatureCount + a];
            mb += raw[r * FeatureCount + b];
        }

        ma /= rows;
        mb /= rows;
        double sab = 0, saa = 0, sbb = 0;
        for (var r = 0; r < rows; r++)
        {
            double da = raw[r * FeatureCount + a] - ma, db = raw[r * FeatureCount + b] - mb;
            sab += da * db;
            saa += da * da;
            sbb += db * db;
        }

        return sab / Math.Sqrt(saa * sbb);
    }
}
