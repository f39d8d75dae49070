using System.Reflection;
using System.Text.RegularExpressions;
using Targetd.Iscsi.Scsi;
using Targetd.Tests.Support;

namespace Targetd.Tests.Iscsi;

/// <summary>The SCSI layer (Targetd.Iscsi.Scsi) knows nothing of the iSCSI transport: connections, PDUs, targets, portals.</summary>
public sealed class ScsiLayeringTests
{
    private static readonly string[] TransportNamespaces = ["Targetd.Iscsi.Server", "Targetd.Iscsi.Wire", "Targetd.Iscsi.Targets"];

    private static readonly Assembly Engine = typeof(ScsiDevice).Assembly;

    private static bool IsScsi(Type type) => type.Namespace is { } ns && (ns == "Targetd.Iscsi.Scsi" || ns.StartsWith("Targetd.Iscsi.Scsi.", StringComparison.Ordinal));

    private static bool IsTransport(Type type) =>
        type.Assembly == Engine && (type.Namespace is "Targetd.Iscsi" || TransportNamespaces.Any(ns => type.Namespace?.StartsWith(ns, StringComparison.Ordinal) == true));

    private static IEnumerable<Type> Mentioned(Type type)
    {
        const BindingFlags All = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
        if (type.BaseType is { } baseType)
        {
            yield return baseType;
        }

        foreach (var face in type.GetInterfaces())
        {
            yield return face;
        }

        foreach (var field in type.GetFields(All))
        {
            yield return field.FieldType;
        }

        foreach (var property in type.GetProperties(All))
        {
            yield return property.PropertyType;
        }

        foreach (var method in type.GetMethods(All).Cast<MethodBase>().Concat(type.GetConstructors(All)))
        {
            if (method is MethodInfo info)
            {
                yield return info.ReturnType;
            }

            foreach (var parameter in method.GetParameters())
            {
                yield return parameter.ParameterType;
            }

            foreach (var local in method.GetMethodBody()?.LocalVariables ?? [])
            {
                yield return local.LocalType;
            }
        }
    }

    private static IEnumerable<Type> Unwrapped(Type type)
    {
        if (type.HasElementType)
        {
            foreach (var inner in Unwrapped(type.GetElementType()!))
            {
                yield return inner;
            }

            yield break;
        }

        yield return type;
        if (type.IsGenericType)
        {
            foreach (var argument in type.GetGenericArguments().SelectMany(Unwrapped))
            {
                yield return argument;
            }
        }
    }

    [Test]
    public void No_scsi_type_signature_field_or_local_names_a_transport_type()
    {
        var scsiTypes = Engine.GetTypes().Where(IsScsi).ToList();
        scsiTypes.Should().Contain(typeof(ScsiDevice));

        var leaks = scsiTypes
            .SelectMany(t => Mentioned(t).SelectMany(Unwrapped).Where(IsTransport).Select(m => $"{t.FullName} -> {m.FullName}"))
            .Distinct()
            .ToList();

        leaks.Should().BeEmpty();
    }

    [Test]
    public void No_scsi_source_file_uses_a_transport_namespace_or_type()
    {
        var transportTypes = Engine.GetTypes().Where(IsTransport).Where(t => !t.IsNested && !t.Name.Contains('<', StringComparison.Ordinal)).Select(t => t.Name).Distinct().ToList();
        transportTypes.Should().Contain("IscsiConnection");
        var pattern = new Regex(@"\b(" + string.Join("|", TransportNamespaces.Select(Regex.Escape).Concat(transportTypes.Select(Regex.Escape))) + @")\b", RegexOptions.CultureInvariant);
        string folder = Path.Combine(RepositoryRoot.Path, "Targetd.Iscsi", "Scsi");

        var hits = Directory.EnumerateFiles(folder, "*.cs", SearchOption.AllDirectories)
            .SelectMany(file => File.ReadLines(file).Select((line, index) => (file, line, index)))
            .Where(l => !l.line.TrimStart().StartsWith("//", StringComparison.Ordinal) && pattern.IsMatch(l.line))
            .Select(l => $"{Path.GetRelativePath(folder, l.file)}:{l.index + 1}: {l.line.Trim()}")
            .ToList();

        hits.Should().BeEmpty();
    }
}
