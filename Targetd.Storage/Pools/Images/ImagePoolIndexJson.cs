using Newtonsoft.Json.Linq;
using Targetd.Storage.State;

namespace Targetd.Storage.Pools.Images;

/// <summary>An image pool's index file, written and read field by field (no reflection: it survives trimming).</summary>
internal static class ImagePoolIndexJson
{
    public static JObject ToJson(ImagePoolIndex index) =>
        new() { ["uuid"] = index.Uuid, ["volumes"] = JsonFields.ToObject(index.Volumes) };

    public static ImagePoolIndex FromJson(JObject json)
    {
        var index = new ImagePoolIndex();
        if (JsonFields.String(json, "uuid") is { } uuid)
        {
            index.Uuid = uuid;
        }

        foreach (var (volume, id) in JsonFields.Strings(json, "volumes"))
        {
            index.Volumes[volume] = id;
        }

        return index;
    }
}
