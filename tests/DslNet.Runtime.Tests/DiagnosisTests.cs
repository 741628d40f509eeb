using static DslNet.Runtime.Tests.HistoryBuilder;

namespace DslNet.Runtime.Tests;

/// <summary>
/// <see cref="TrainingHistory.Diagnose"/> on synthetic histories, one per loss-curve pattern of §7.8.1 and per
/// statistics warning of §7.8.3–7.8.4, and a healthy run that triggers nothing.
/// </summary>
public sealed class DiagnosisTests
{
    private static readonly double[] HealthyTrain = Decay(12, Ln2, 0.28);
    private static readonly double[] HealthyValidation = Decay(12, Ln2, 0.31);

    [Fact]
    public void A_healthy_run_triggers_nothing()
    {
        var diagnosis = Build(HealthyTrain, HealthyValidation).Diagnose();

        Assert.True(diagnosis.IsHealthy, diagnosis.ToString());
        Assert.Contains("No problem found", diagnosis.ToString());
    }

    [Fact]
    public void A_healthy_run_with_healthy_statistics_triggers_nothing()
    {
        var history = Build(HealthyTrain, HealthyValidation);
        for (var step = 0; step < 240; step += 20)
            history.AddSnapshot(new MonitorSnapshot(step, step / 20 + 1,
                [Activation("Hidden1", step, deadUnits: 0.05), Activation("Hidden2", step, saturated: 0.1)],
                [Gradient("Hidden1.Weight", step, 0.01), Gradient("Hidden1.Bias", step, 0.02), Gradient("Output.Weight", step, 0.03)]));

        var diagnosis = history.Diagnose();

        Assert.True(diagnosis.IsHealthy, diagnosis.ToString());
    }

    [Fact]
    public void Pattern_1_flat_from_the_start()
    {
        var flat = Enumerable.Range(0, 8).Select(e => Ln2 * (1 + 0.002 * Math.Sin(e))).ToArray();

        var diagnosis = Build(flat, flat.Select(v => v + 0.001).ToArray(), noise: 0.005).Diagnose();

        var finding = Assert.Single(diagnosis.Findings);
        Assert.Equal(DiagnosisKind.FlatLoss, finding.Kind);
        Assert.Equal(1, finding.Pattern);
        Assert.Equal(1, finding.SinceEpoch);
        Assert.Contains("constant prediction", finding.Evidence);
        Assert.Contains(finding.Remedies, r => r.Contains("10×") && r.Contains("LrFinder"));
        Assert.Contains(finding.Remedies, r => r.Contains("labels shuffled"));
    }

    [Fact]
    public void Pattern_2_spike_to_NaN()
    {
        var train = Decay(8, Ln2, 0.3);
        train[6] = double.NaN;
        train[7] = double.NaN;
        // Steps of epoch 7 (index 6) from its 5th step on are NaN.
        var history = Build(train, stepLoss: (step, loss) => step >= 6 * 20 + 4 ? double.NaN : loss);

        var diagnosis = history.Diagnose();

        var finding = Assert.Single(diagnosis.Findings, f => f.Pattern is not null);
        Assert.Equal(DiagnosisKind.Divergence, finding.Kind);
        Assert.Equal(7, finding.SinceEpoch);
        Assert.Equal(6 * 20 + 4, finding.SinceStep);
        Assert.Contains(finding.Remedies, r => r.Contains("Lower the learning rate"));
        Assert.Contains(finding.Remedies, r => r.Contains("Clip"));
        Assert.Contains(finding.Remedies, r => r.Contains("DetectAnomalies"));
    }

    [Fact]
    public void Pattern_2_finite_spike()
    {
        double[] train = [0.6, 0.5, 0.42, 0.38, 12.0, 25.0];

        var diagnosis = Build(train).Diagnose();

        var finding = diagnosis.Find(DiagnosisKind.Divergence);
        Assert.NotNull(finding);
        Assert.Equal(5, finding.SinceEpoch);
    }

    [Fact]
    public void Pattern_3_train_down_validation_up()
    {
        var train = Decay(12, Ln2, 0.05, rate: 0.3);
        double[] validation = [0.62, 0.52, 0.45, 0.41, 0.39, 0.40, 0.42, 0.45, 0.48, 0.52, 0.55, 0.60];

        var diagnosis = Build(train, validation).Diagnose();

        var finding = diagnosis.Find(DiagnosisKind.Overfitting);
        Assert.NotNull(finding);
        Assert.Equal(3, finding.Pattern);
        Assert.Equal(6, finding.SinceEpoch);   // validation best at epoch 5
        Assert.Contains("epoch 5", finding.Evidence);
        Assert.Contains(finding.Remedies, r => r.Contains("dropout") && r.Contains("weight decay"));
        Assert.Contains(finding.Remedies, r => r.Contains("Early stopping") && r.Contains("epoch 5"));
        Assert.False(diagnosis.Has(DiagnosisKind.Underfitting));
    }

    [Fact]
    public void Pattern_3_gap_from_the_first_epoch_suggests_a_model_too_large()
    {
        var train = Decay(8, Ln2, 0.05, rate: 0.5);
        double[] validation = [0.50, 0.52, 0.55, 0.58, 0.62, 0.66, 0.70, 0.75];

        var finding = Build(train, validation).Diagnose().Find(DiagnosisKind.Overfitting);

        Assert.NotNull(finding);
        Assert.Equal(2, finding.SinceEpoch);
        Assert.Contains(finding.Remedies, r => r.Contains("too large"));
    }

    [Fact]
    public void Pattern_4_both_plateau_high()
    {
        double[] train = [0.66, 0.64, 0.625, 0.62, 0.618, 0.617, 0.617, 0.616, 0.616];
        var validation = train.Select(v => v + 0.004).ToArray();

        var diagnosis = Build(train, validation).Diagnose();

        var finding = Assert.Single(diagnosis.Findings);
        Assert.Equal(DiagnosisKind.Underfitting, finding.Kind);
        Assert.Equal(4, finding.Pattern);
        Assert.Equal(3, finding.SinceEpoch); // the first epoch within 2 % of the floor
        Assert.Contains(finding.Remedies, r => r.Contains("capacity"));
        Assert.Contains(finding.Remedies, r => r.Contains("dead neurons"));
    }

    [Fact]
    public void A_validation_loss_no_better_than_a_constant_prediction_is_underfitting()
    {
        // Issue 13, item 7: three epochs, training loss falling, validation loss 0.732 against 0.6928 for predicting
        // the base rate. Too short for the plateau and overfitting rules; the baseline alone says the model is useless.
        double[] train = [0.70, 0.66, 0.62];
        double[] validation = [0.72, 0.735, 0.732];

        var diagnosis = Build(train, validation, baseline: 0.6928).Diagnose();

        var finding = diagnosis.Find(DiagnosisKind.Underfitting);
        Assert.NotNull(finding);
        Assert.Contains("0.732", finding.Evidence);
        Assert.Contains("0.6928", finding.Evidence);
        Assert.Contains("constant prediction", finding.Evidence);
        Assert.Equal(1, finding.SinceEpoch);
        Assert.Contains(finding.Remedies, r => r.Contains("data pipeline"));
        Assert.DoesNotContain("No problem found", diagnosis.ToString());
    }

    [Fact]
    public void A_validation_loss_clearly_below_the_constant_prediction_is_not_flagged_by_the_baseline()
    {
        double[] train = [0.66, 0.60, 0.56];
        double[] validation = [0.65, 0.62, 0.60];

        var diagnosis = Build(train, validation, baseline: 0.6928).Diagnose();

        Assert.True(diagnosis.IsHealthy, diagnosis.ToString());
    }

    [Fact]
    public void Pattern_4_training_loss_held_above_validation_is_too_much_regularization()
    {
        // Issue 16: dropout 0.8 and weight decay 0.5 on Fashion-MNIST, training loss 0.66 against validation 0.49.
        double[] train = [1.25, 0.92, 0.80, 0.74, 0.71, 0.69, 0.67, 0.66];
        double[] validation = [0.80, 0.66, 0.60, 0.56, 0.53, 0.51, 0.50, 0.49];

        var diagnosis = Build(train, validation, start: 2.3, baseline: 2.3026).Diagnose();

        var finding = Assert.Single(diagnosis.Findings);
        Assert.Equal(DiagnosisKind.Underfitting, finding.Kind);
        Assert.Contains("0.66", finding.Evidence);
        Assert.Contains("0.49", finding.Evidence);
        Assert.Contains("too much regularization", finding.Evidence);
        Assert.Contains(finding.Remedies, r => r.Contains("dropout") && r.Contains("weight decay"));
    }

    [Fact]
    public void Pattern_5_validation_loss_jumping_at_a_constant_high_rate()
    {
        // Issue 16: AdamW at a constant 0.5, training loss stuck near 1.0, validation jumping between 0.66 and 0.97.
        double[] train = [1.35, 1.06, 1.01, 0.98, 1.01, 0.99];
        double[] validation = [0.82, 0.66, 0.97, 0.70, 0.91, 0.75];

        var diagnosis = Build(train, validation, start: 2.3, baseline: 2.3026).Diagnose();

        var finding = diagnosis.Find(DiagnosisKind.Oscillation);
        Assert.NotNull(finding);
        Assert.Contains("validation loss went up in 2 of 5 epochs", finding.Evidence);
        Assert.Contains("learning rate was 0.001", finding.Evidence);
        Assert.Contains("step losses of the last epoch spread", finding.Evidence);
        Assert.False(diagnosis.Has(DiagnosisKind.Underfitting));
    }

    [Fact]
    public void A_rate_far_too_low_on_a_long_run_is_no_better_than_constant()
    {
        // Issue 16: AdamW at 1e-7 on all 60,000 rows: training 2.63 → 2.50, validation 2.28 against 2.30 for a constant.
        double[] train = [2.63, 2.60, 2.58, 2.55, 2.52, 2.50];
        double[] validation = [2.36, 2.34, 2.32, 2.31, 2.29, 2.28];

        var finding = Build(train, validation, start: 2.66, baseline: 2.3026, validationBaseline: 2.3026).Diagnose().Find(DiagnosisKind.Underfitting);

        Assert.NotNull(finding);
        Assert.Contains("2.28", finding.Evidence);
        Assert.Contains("2.303", finding.Evidence);
    }

    [Fact]
    public void An_initial_loss_far_above_chance_points_at_the_initialization()
    {
        var train = Decay(6, 40, 0.4, rate: 1.2);

        var finding = Build(train, train.Select(v => v * 1.05).ToArray(), start: 60, baseline: 2.3026).Diagnose().Find(DiagnosisKind.BadInitialLoss);

        Assert.NotNull(finding);
        Assert.Null(finding.Pattern);
        Assert.Contains("2.303", finding.Evidence);
        Assert.Contains(finding.Remedies, r => r.Contains("Init.Auto"));
    }

    [Fact]
    public void Mean_squared_error_on_class_indices_is_a_loss_that_does_not_fit_the_labels()
    {
        var train = Decay(5, 8.2, 1.5);

        var diagnosis = Build(train, train, start: 8.25, baseline: 8.25, loss: Loss.MeanSquaredError, classLikeLabels: 10).Diagnose();
        var regression = Build(train, train, start: 8.25, baseline: 8.25, loss: Loss.MeanSquaredError).Diagnose();

        var finding = diagnosis.Find(DiagnosisKind.LossLabelMismatch);
        Assert.NotNull(finding);
        Assert.Contains("0 to 9", finding.Evidence);
        Assert.Contains(finding.Remedies, r => r.Contains("Loss.CrossEntropy with 10 outputs"));
        Assert.False(regression.Has(DiagnosisKind.LossLabelMismatch));
    }

    [Fact]
    public void Pattern_5_a_plateau_at_a_rate_that_never_comes_down()
    {
        // A constant rate (the builder's 1e-3 throughout), the training loss stuck for the last two epochs and 25 %
        // above the validation loss of the weights at each epoch's end.
        double[] train = [1.35, 1.06, 1.01, 1.00, 1.02, 1.01];
        double[] validation = [0.85, 0.81, 0.80, 0.80, 0.79, 0.80];

        var diagnosis = Build(train, validation, start: 2.3, baseline: 2.3026).Diagnose();

        var finding = diagnosis.Find(DiagnosisKind.Oscillation);
        Assert.NotNull(finding);
        Assert.Contains("has not improved on 1 for the last 2 epochs", finding.Evidence);
        Assert.Contains("stayed at 0.001", finding.Evidence);
        Assert.False(diagnosis.Has(DiagnosisKind.Underfitting));
    }

    [Fact]
    public void Unshuffled_batches_whose_loss_repeats_its_pattern_every_epoch()
    {
        // 30 steps per epoch; the loss swings with the position in the epoch (rows sorted by class), the same way each epoch.
        var train = Decay(5, Ln2, 0.4);
        double Swing(int step, double loss) => loss * (1 + 0.4 * Math.Sin(2 * Math.PI * (step % 30) / 10.0));

        var unshuffled = Build(train, train.Select(v => v + 0.02).ToArray(), stepsPerEpoch: 30, stepLoss: Swing, shuffled: false).Diagnose();
        var shuffled = Build(train, train.Select(v => v + 0.02).ToArray(), stepsPerEpoch: 30, stepLoss: Swing, shuffled: true).Diagnose();
        var noPattern = Build(train, train.Select(v => v + 0.02).ToArray(), stepsPerEpoch: 30, shuffled: false).Diagnose();

        var finding = unshuffled.Find(DiagnosisKind.UnshuffledBatches);
        Assert.NotNull(finding);
        Assert.Contains("not shuffled", finding.Evidence);
        Assert.Contains(finding.Remedies, r => r.Contains("TrainerOptions.Shuffle"));
        Assert.False(shuffled.Has(DiagnosisKind.UnshuffledBatches));
        Assert.False(noPattern.Has(DiagnosisKind.UnshuffledBatches));
    }

    [Fact]
    public void Pattern_5_oscillation()
    {
        double[] train = [0.60, 0.48, 0.62, 0.45, 0.66, 0.48, 0.63, 0.50, 0.64, 0.47];

        var diagnosis = Build(train, train.Select(v => v + 0.02).ToArray()).Diagnose();

        var finding = Assert.Single(diagnosis.Findings);
        Assert.Equal(DiagnosisKind.Oscillation, finding.Kind);
        Assert.Equal(5, finding.Pattern);
        Assert.Equal(3, finding.SinceEpoch);
        Assert.Contains(finding.Remedies, r => r.Contains("batch size"));
        Assert.Contains(finding.Remedies, r => r.Contains("warmup"));
    }

    [Fact]
    public void Pattern_5_oscillation_within_few_long_epochs()
    {
        // Three epochs of 400 steps whose loss swings between 0.3 and 0.6 every 30 steps.
        double[] train = [0.45, 0.45, 0.45];
        var history = Build(train, stepsPerEpoch: 400, noise: 0, stepLoss: (step, _) => step / 30 % 2 == 0 ? 0.3 : 0.6);

        var finding = history.Diagnose().Find(DiagnosisKind.Oscillation);

        Assert.NotNull(finding);
        Assert.NotNull(finding.SinceStep);
    }

    [Fact]
    public void Pattern_6_train_near_zero_with_reasonable_validation()
    {
        var train = Decay(10, Ln2, 0.001, rate: 0.6);
        double[] validation = [0.5, 0.4, 0.35, 0.33, 0.32, 0.32, 0.32, 0.33, 0.33, 0.33];

        var diagnosis = Build(train, validation).Diagnose();

        var finding = diagnosis.Find(DiagnosisKind.TrainLossNearZero);
        Assert.NotNull(finding);
        Assert.Equal(6, finding.Pattern);
        Assert.Contains("memorizes", finding.Evidence);
        Assert.Contains(finding.Remedies, r => r.Contains("Early stopping"));
        Assert.Equal(Array.FindIndex(train, t => t <= 0.02 * Ln2) + 1, finding.SinceEpoch);
    }

    [Fact]
    public void Pattern_6_with_validation_near_zero_too_points_at_a_leak()
    {
        var train = Decay(10, Ln2, 0.0005, rate: 0.7);
        var validation = train.Select(v => v * 1.1).ToArray();

        var finding = Build(train, validation).Diagnose().Find(DiagnosisKind.TrainLossNearZero);

        Assert.NotNull(finding);
        Assert.Contains(finding.Remedies, r => r.Contains("leak"));
    }

    [Fact]
    public void Dead_relu_units_are_named()
    {
        var history = Build(HealthyTrain, HealthyValidation);
        history.AddSnapshot(new MonitorSnapshot(100, 5, [Activation("Hidden1", 100, deadUnits: 0.1), Activation("Hidden2", 100, deadUnits: 0.3)], []));
        history.AddSnapshot(new MonitorSnapshot(200, 10, [Activation("Hidden1", 200, deadUnits: 0.1), Activation("Hidden2", 200, deadUnits: 0.7)], []));

        var diagnosis = history.Diagnose();

        var finding = Assert.Single(diagnosis.Findings);
        Assert.Equal(DiagnosisKind.DeadUnits, finding.Kind);
        Assert.Null(finding.Pattern);
        Assert.Equal(200, finding.SinceStep);
        Assert.Contains("Hidden2 70", finding.Evidence);
        Assert.DoesNotContain("Hidden1", finding.Evidence);
        Assert.Contains(finding.Remedies, r => r.Contains("LeakyRelu"));
    }

    [Fact]
    public void Saturated_activations_are_named()
    {
        var history = Build(HealthyTrain, HealthyValidation);
        history.AddSnapshot(new MonitorSnapshot(200, 10, [Activation("Squash", 200, saturated: 0.8)], []));

        var finding = Assert.Single(history.Diagnose().Findings);

        Assert.Equal(DiagnosisKind.Saturation, finding.Kind);
        Assert.Contains("Squash", finding.Evidence);
    }

    [Fact]
    public void Vanishing_gradients_from_the_statistics()
    {
        var history = Build(HealthyTrain, HealthyValidation);
        foreach (var step in new long[] { 50, 100, 150 })
            history.AddSnapshot(new MonitorSnapshot(step, (int)(step / 20) + 1, [],
                [Gradient("Layer1.Weight", step, 1e-7), Gradient("Layer1.Bias", step, 1e-3), Gradient("Layer2.Weight", step, 1e-4), Gradient("Output.Weight", step, 1e-2)]));

        var diagnosis = history.Diagnose();

        var finding = Assert.Single(diagnosis.Findings);
        Assert.Equal(DiagnosisKind.VanishingGradients, finding.Kind);
        Assert.Equal(50, finding.SinceStep);
        Assert.Contains("Layer1.Weight", finding.Evidence);
        Assert.Contains("Output.Weight", finding.Evidence);
        Assert.Contains(finding.Remedies, r => r.Contains("normalization"));
    }

    [Fact]
    public void Exploding_gradients_from_the_statistics()
    {
        var history = Build(HealthyTrain, HealthyValidation);
        history.AddSnapshot(new MonitorSnapshot(100, 5, [], [Gradient("Layer1.Weight", 100, 50), Gradient("Output.Weight", 100, 0.01)]));

        var finding = Assert.Single(history.Diagnose().Findings);

        Assert.Equal(DiagnosisKind.ExplodingGradients, finding.Kind);
        Assert.Contains(finding.Remedies, r => r.Contains("Clip"));
    }

    [Fact]
    public void Gradient_norms_fluctuating_by_orders_of_magnitude()
    {
        var history = Build(HealthyTrain, HealthyValidation, gradientNorm: step => step % 37 == 36 ? 300 : 0.5);

        var finding = Assert.Single(history.Diagnose().Findings);

        Assert.Equal(DiagnosisKind.UnstableGradients, finding.Kind);
        Assert.Contains("600×", finding.Evidence);
    }

    [Fact]
    public void Report_is_readable()
    {
        var train = Decay(12, Ln2, 0.05, rate: 0.3);
        double[] validation = [0.62, 0.52, 0.45, 0.41, 0.39, 0.40, 0.42, 0.45, 0.48, 0.52, 0.55, 0.60];

        var report = Build(train, validation).Diagnose().ToString();

        Assert.StartsWith("12 epochs: training loss", report);
        Assert.Contains("best 0.39 at epoch 5", report);
        Assert.Contains("- pattern 3: training loss down, validation loss up (overfitting) since epoch 6", report);
        Assert.Contains("  • ", report);
    }

    [Fact]
    public void Without_a_baseline_the_first_steps_are_the_reference()
    {
        double[] train = [2.0, 1.95, 1.93, 1.92, 1.92, 1.919, 1.919];

        var diagnosis = Build(train, start: 2.3, baseline: null).Diagnose();

        Assert.True(diagnosis.Has(DiagnosisKind.Underfitting), diagnosis.ToString());
    }
}
