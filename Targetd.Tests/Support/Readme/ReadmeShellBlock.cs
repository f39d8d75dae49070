namespace Targetd.Tests.Support.Readme;

/// <summary>One fenced <c>sh</c> block of a Markdown file: the heading it sits under and its commands, continuations joined.</summary>
internal sealed record ReadmeShellBlock(string Heading, IReadOnlyList<string> Commands);
