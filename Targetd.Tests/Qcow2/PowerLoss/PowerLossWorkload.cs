using Targetd.Qcow2;

namespace Targetd.Tests.Qcow2.PowerLoss;

/// <summary>What a workload drives: the image opened over a <see cref="WriteLog"/>, with the guest model kept in step.</summary>
internal sealed class PowerLossWorkload(Qcow2Image image, GuestModel model, WriteLog log, Random random)
{
    public Qcow2Image Image => image;

    public WriteLog Log => log;

    public Random Random => random;

    public long Sectors => model.Sectors;

    public async Task WriteAsync(long sector, int count)
    {
        var data = model.Write(sector, count);
        try
        {
            await image.WriteAsync(sector * GuestModel.Sector, data);
        }
        catch (IOException)
        {
            model.Failed(sector, count);
            throw;
        }
    }

    /// <summary>A write of 1 to <paramref name="maxSectors"/> sectors at a random place.</summary>
    public Task WriteRandomAsync(int maxSectors)
    {
        int count = random.Next(1, maxSectors + 1);
        return WriteAsync(random.NextInt64(Sectors - count + 1), count);
    }

    public async Task DiscardAsync(long sector, int count)
    {
        model.Discard(sector, count);
        await image.DiscardAsync(sector * GuestModel.Sector, count * (long)GuestModel.Sector);
    }

    /// <summary>Flushes the image; once acknowledged, everything written before must survive any power cut.</summary>
    public async Task FlushAsync()
    {
        await image.FlushAsync();
        log.Acknowledged(model.Mark());
    }
}
