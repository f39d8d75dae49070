using System.Runtime.InteropServices;

namespace Targetd.Host.Http;

/// <summary>
/// SIGHUP: reads targetd.yaml again and applies its <c>target_port_group</c>, <c>target_port_groups</c> and
/// <c>alua_optimized</c> to the mapped devices; those whose access states change announce it with ASYMMETRIC ACCESS
/// STATE CHANGED (SPC-4 §5.16.2.4). Nothing else of the file is taken; a bad file is logged and changes nothing.
/// </summary>
internal sealed partial class PortGroupsReload : IDisposable
{
    private readonly string _path;
    private readonly Iscsi.IscsiTargetPort _targetPort;
    private readonly ILogger _logger;
    private readonly PosixSignalRegistration _registration;

    public PortGroupsReload(string path, Iscsi.IscsiTargetPort targetPort, ILogger logger)
    {
        _path = path;
        _targetPort = targetPort;
        _logger = logger;
        _registration = PosixSignalRegistration.Create(PosixSignal.SIGHUP, context =>
        {
            context.Cancel = true; // SIGHUP reloads rather than ends the process
            Reload();
        });
    }

    /// <summary>Applies the port group keys of the file as it is now.</summary>
    public void Reload()
    {
        try
        {
            var groups = TargetdConfigLoader.Load(_path, Environment.GetEnvironmentVariable("TARGETD_PASSWORD")).PortGroups;
            _targetPort.PortGroups = groups;
            LogReloaded(_logger, groups.LocalGroup, groups.SharedGroups, groups.Rule);
        }
        catch (ArgumentException ex)
        {
            LogNotReloaded(_logger, ex.Message);
        }
    }

    public void Dispose() => _registration.Dispose();

    [LoggerMessage(EventId = 4, Level = LogLevel.Information, Message = "SIGHUP: target_port_group {Group}, target_port_groups {Groups}, alua_optimized {Rule}")]
    private static partial void LogReloaded(ILogger logger, ushort group, IReadOnlyList<ushort> groups, Iscsi.Scsi.AluaOptimizedRule rule);

    [LoggerMessage(EventId = 5, Level = LogLevel.Error, Message = "SIGHUP: the port groups are kept: {Reason}")]
    private static partial void LogNotReloaded(ILogger logger, string reason);
}
