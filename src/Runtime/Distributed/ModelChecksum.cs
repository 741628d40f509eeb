using System.Numerics;

namespace DslNet;

/// <summary>A checksum of a model's state, to show that the ranks of a data-parallel job hold the same model.</summary>
public static class ModelChecksum
{
    /// <summary>
    /// CRC-32C over the bits of every parameter and then every running statistic (in buffer order): equal bits give
    /// equal checksums, a one-ulp difference anywhere gives another. Print it on every rank as
    /// <c>RANK r params_crc={checksum:x8}</c>.
    /// </summary>
    public static uint Crc32C(INetwork model)
    {
        ArgumentNullException.ThrowIfNull(model);
        uint crc = 0;
        foreach (var value in model.Parameters.Data) crc = BitOperations.Crc32C(crc, BitConverter.SingleToUInt32Bits(value));
        foreach (var value in model.RunningStatistics.Data) crc = BitOperations.Crc32C(crc, BitConverter.SingleToUInt32Bits(value));
        return crc;
    }
}
