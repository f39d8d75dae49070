using Newtonsoft.Json;

namespace Targetd.Storage.Pools.Images;

/// <summary>The stable identities of an image pool and its volumes, kept beside the images.</summary>
internal sealed class ImagePoolIndex
{
    [JsonProperty("uuid")]
    public string Uuid { get; set; } = Guid.NewGuid().ToString();

    [JsonProperty("volumes")]
    public Dictionary<string, string> Volumes { get; init; } = new(StringComparer.Ordinal);
}
