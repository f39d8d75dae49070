namespace Targetd.Tests.Support;

/// <summary>A CHAP user name and secret.</summary>
internal sealed record Chap(string User, string Secret);
