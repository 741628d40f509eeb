namespace DslNet;

/// <summary>
/// What a <see cref="DataSet"/> knows about image rows: their shape, the value of a black pixel per channel (for crop
/// padding), and the augmentation its batches apply.
/// </summary>
internal sealed record ImageRows(ImageShape Shape, float[] PaddingValues, ImageAugmentation? Augmentation)
{
    public ImageRows WithoutAugmentation() => this with { Augmentation = null };

    public ImageRows WithPaddingValues(float[] paddingValues) => this with { PaddingValues = paddingValues };
}
