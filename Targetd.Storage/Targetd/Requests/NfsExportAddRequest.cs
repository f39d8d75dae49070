using Newtonsoft.Json.Linq;
using Targetd.Storage.Errors;
using Targetd.Storage.JsonRpc;

namespace Targetd.Storage.Targetd.Requests;

/// <summary>
/// <c>nfs_export_add(host, path, options=None, chown=None, export_path=None)</c>: options are a list of strings, a single
/// string (a list of one) or null/empty; <c>ExportPathGiven</c> tells whether a non-null <c>export_path</c> was sent.
/// </summary>
internal sealed record NfsExportAddRequest(string Host, string Path, IReadOnlyList<string> Options, string? Chown, bool ExportPathGiven) : IRpcRequest<NfsExportAddRequest>
{
    public static IReadOnlyList<RpcParameter> Parameters { get; } =
    [
        new("host", RpcKind.Text), new("path", RpcKind.Text), new("options", RpcKind.Any, Required: false),
        new("chown", RpcKind.Text, Required: false, Nullable: true), new("export_path", RpcKind.Any, Required: false),
    ];

    public static NfsExportAddRequest Bind(RpcArguments arguments) =>
        new(
            arguments.Text("host"),
            arguments.Text("path"),
            OptionsOf(arguments.Raw("options")),
            arguments.OptionalText("chown"),
            arguments.Raw("export_path") is { Type: not JTokenType.Null });

    private static List<string> OptionsOf(JToken? options) => options switch
    {
        null or { Type: JTokenType.Null } => [],
        JValue { Type: JTokenType.String } single => ((string?)single) is { Length: > 0 } text ? [text] : [],
        JArray list when list.All(o => o.Type == JTokenType.String) => [.. list.Select(o => (string)o!)],
        _ => throw StorageErrors.InvalidArgument("options must be a string or a list of strings"),
    };
}
