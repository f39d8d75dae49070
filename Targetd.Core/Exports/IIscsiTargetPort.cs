using Targetd.Core.BlockDevices;

namespace Targetd.Core.Exports;

/// <summary>
/// What the storage services need from an iSCSI target: targets, their LUNs, and who is connected. The
/// iSCSI engine implements it and the hosts wire it in, so the services stay independent of the engine.
/// </summary>
public interface IIscsiTargetPort
{
    /// <summary>Whether a target of that name is served.</summary>
    bool HasTarget(string targetName);

    /// <summary>Serves a new target with no LUNs, open to every initiator.</summary>
    /// <exception cref="InvalidOperationException">The target exists.</exception>
    void AddTarget(string targetName);

    /// <summary>
    /// Serves a new target with no LUNs, open only as <paramref name="access"/> says from its first login on: the
    /// initiators it lists (each with its credentials), or any initiator presenting its credentials when it lists none.
    /// </summary>
    /// <exception cref="InvalidOperationException">The target exists.</exception>
    /// <exception cref="ArgumentException">An initiator name is not a valid iSCSI name, or the credentials are unusable.</exception>
    void AddTarget(string targetName, TargetAccess access);

    /// <summary>Stops serving a target; its sessions end and it disappears from discovery.</summary>
    /// <returns>Whether the target existed.</returns>
    bool RemoveTarget(string targetName);

    /// <summary>
    /// Maps a block device as a LUN of a target; sessions see REPORTED LUNS DATA HAS CHANGED. One block device
    /// object mapped at several LUNs, in any target, is one SCSI device: one identity, one set of reservations.
    /// </summary>
    /// <param name="targetName">The target.</param>
    /// <param name="lun">The LUN.</param>
    /// <param name="device">The block device.</param>
    /// <param name="serial">The device's unit serial number, from which its designators derive (a volume's uuid).</param>
    /// <exception cref="InvalidOperationException">The target is missing, the LUN is taken, or the device is mapped with another serial.</exception>
    void AddLun(string targetName, int lun, IBlockDevice device, string serial);

    /// <summary>Unmaps a LUN; commands already running on it complete first.</summary>
    /// <returns>Whether the LUN was mapped.</returns>
    bool RemoveLun(string targetName, int lun);

    /// <summary>
    /// The I_T nexuses logged in to a target, each as
    /// <c>&lt;initiator name&gt;i0x&lt;ISID, 12 hex digits&gt;,&lt;target name&gt;t&lt;TPGT&gt;</c>.
    /// </summary>
    IReadOnlyList<string> GetNexuses(string targetName);

    /// <summary>
    /// Admits an initiator to a target (the target then admits only the initiators it lists), requiring the
    /// given CHAP credentials, or none when null.
    /// </summary>
    void SetInitiator(string targetName, string initiatorName, InitiatorCredentials? chap);

    /// <summary>Withdraws an initiator's admission.</summary>
    /// <returns>Whether it was admitted.</returns>
    bool RemoveInitiator(string targetName, string initiatorName);

    /// <summary>
    /// Maps a device at a LUN that only this initiator sees; <paramref name="serial"/> identifies the volume. As with
    /// <see cref="AddLun"/>, every LUN of one block device object is one SCSI device.
    /// </summary>
    void MapLun(string targetName, string initiatorName, int lun, IBlockDevice device, string serial);

    /// <summary>Unmaps one initiator's LUN.</summary>
    /// <returns>Whether it was mapped.</returns>
    bool UnmapLun(string targetName, string initiatorName, int lun);

    /// <summary>
    /// A mapped device was resized in place: its LUNs report the new capacity, and every initiator that uses them is
    /// told so (CAPACITY DATA HAS CHANGED) before its next command.
    /// </summary>
    /// <returns>Whether the device is mapped and its capacity changed.</returns>
    bool CapacityChanged(IBlockDevice device);
}
