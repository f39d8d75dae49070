using Targetd.Storage.JsonRpc;

namespace Targetd.Storage.Targetd.Requests;

/// <summary><c>initiator_set_auth</c>: an initiator and its CHAP credentials (null or empty clears a direction).</summary>
internal sealed record InitiatorAuthRequest(string Initiator, string? InUser, string? InPass, string? OutUser, string? OutPass) : IRpcRequest<InitiatorAuthRequest>
{
    public static IReadOnlyList<RpcParameter> Parameters { get; } =
    [
        new("initiator_wwn", RpcKind.Text), new("in_user", RpcKind.Text, Nullable: true), new("in_pass", RpcKind.Text, Nullable: true),
        new("out_user", RpcKind.Text, Nullable: true), new("out_pass", RpcKind.Text, Nullable: true),
    ];

    public static InitiatorAuthRequest Bind(RpcArguments arguments) =>
        new(arguments.Text("initiator_wwn"), arguments.OptionalText("in_user"), arguments.OptionalText("in_pass"), arguments.OptionalText("out_user"), arguments.OptionalText("out_pass"));
}
