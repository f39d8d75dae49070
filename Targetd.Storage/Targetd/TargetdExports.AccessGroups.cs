using Targetd.Core.Errors;
using Targetd.Core.Names;
using static Targetd.Storage.Targetd.ExportState;

namespace Targetd.Storage.Targetd;

/// <summary>The access-group rules (targetd API 0.7 §7.5): groups of initiators that see the group's mappings.</summary>
public sealed partial class TargetdExports
{
    /// <summary>access_group_list: every group with its member initiators.</summary>
    public IReadOnlyList<(string Name, IReadOnlyList<string> Initiators)> AccessGroupList()
    {
        var state = _state;
        return [.. state.Groups.Keys.Select(name => (name, (IReadOnlyList<string>)[.. state.Initiators.Where(i => i.Value.Group == name).Select(i => i.Key)]))];
    }

    /// <summary>access_group_map_list: every group's mappings, by group and LUN.</summary>
    public IReadOnlyList<(string Group, int Lun, string Pool, string Volume)> AccessGroupMapList() =>
        [.. _state.Groups.SelectMany(g => g.Value.Mappings.OrderBy(m => m.Lun).Select(m => (g.Key, m.Lun, m.Pool, m.Volume)))];

    /// <summary>access_group_create: a new group with its first initiator, which must belong to nothing yet.</summary>
    public Task AccessGroupCreateAsync(string name, string initiator, CancellationToken cancellationToken = default)
    {
        ResourceName.EnsureValid(name);
        RequireInitiatorName(initiator);
        return MutateAsync(state =>
        {
            if (state.Groups.ContainsKey(name))
            {
                throw TargetdErrors.AccessGroupNameInUse();
            }

            if (state.Initiators.ContainsKey(initiator))
            {
                throw TargetdErrors.InitiatorInUse();
            }

            return state.With(name, new GroupRecord()).With(initiator, new InitiatorRecord { Group = name });
        }, cancellationToken);
    }

    /// <summary>access_group_destroy: the group and its members go; a missing group is no error.</summary>
    public Task AccessGroupDestroyAsync(string name, CancellationToken cancellationToken = default) =>
        MutateAsync(
            state => state.WithoutGroup(name) with { Initiators = state.Initiators.RemoveRange(state.Initiators.Where(i => i.Value.Group == name).Select(i => i.Key)) },
            cancellationToken);

    /// <summary>access_group_init_add: adds an initiator that belongs to nothing yet, creating the group when missing.</summary>
    public Task AccessGroupAddInitiatorAsync(string name, string initiator, CancellationToken cancellationToken = default)
    {
        ResourceName.EnsureValid(name);
        RequireInitiatorName(initiator);
        return MutateAsync(state =>
        {
            if (state.Initiators.TryGetValue(initiator, out var record))
            {
                if (record.Group == name)
                {
                    return state;
                }

                throw record.Group is null ? TargetdErrors.InitiatorInUse() : TargetdErrors.InitiatorInOtherGroup();
            }

            var withGroup = state.Groups.ContainsKey(name) ? state : state.With(name, new GroupRecord());
            return withGroup.With(initiator, new InitiatorRecord { Group = name });
        }, cancellationToken);
    }

    /// <summary>access_group_init_del: removes a member; the group goes with its last member.</summary>
    public Task AccessGroupRemoveInitiatorAsync(string name, string initiator, CancellationToken cancellationToken = default) =>
        MutateAsync(state =>
        {
            if (!state.Initiators.TryGetValue(initiator, out var record) || record.Group != name)
            {
                return state;
            }

            var without = state.WithoutInitiator(initiator);
            return without.Initiators.Values.All(i => i.Group != name) ? without.WithoutGroup(name) : without;
        }, cancellationToken);

    /// <summary>access_group_map_create: maps a volume to a group at <paramref name="lun"/>, or at the lowest free LUN when null.</summary>
    public async Task AccessGroupMapCreateAsync(string pool, string volume, string name, long? lun, CancellationToken cancellationToken = default)
    {
        await RequireVolumeAsync(pool, volume, cancellationToken).ConfigureAwait(false);
        await MutateAsync(state => MapToGroup(state, pool, volume, name, lun), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>access_group_map_destroy: unmaps a volume from a group; a missing mapping is no error.</summary>
    public Task AccessGroupMapDestroyAsync(string pool, string volume, string name, CancellationToken cancellationToken = default) =>
        MutateAsync(state =>
        {
            return state.Groups.TryGetValue(name, out var group)
                ? state.With(name, group with { Mappings = group.Mappings.RemoveAll(m => m.Pool == pool && m.Volume == volume) })
                : state;
        }, cancellationToken);

    private static ExportState MapToGroup(ExportState state, string pool, string volume, string name, long? requested)
    {
        if (!state.Groups.TryGetValue(name, out var group) || state.Initiators.Values.All(i => i.Group != name))
        {
            throw TargetdErrors.AccessGroupNotFound();
        }

        if (group.Mappings.Any(m => m.Pool == pool && m.Volume == volume))
        {
            return state;
        }

        // LUNs already used by the group or by any member's own mappings.
        var used = group.Mappings.Select(m => m.Lun)
            .Concat(state.Initiators.Values.Where(i => i.Group == name).SelectMany(i => i.Mappings).Select(m => m.Lun))
            .ToHashSet();
        int lun;
        if (requested is { } wanted)
        {
            if (wanted is < 0 or > MaxHostLunId)
            {
                throw new TargetdException(TargetdErrorCode.InvalidArgument, $"h_lun_id {wanted} is out of range 0 ~ {MaxHostLunId}");
            }

            if (used.Contains((int)wanted))
            {
                throw new TargetdException(TargetdErrorCode.Invalid, $"Host LUN ID {wanted} is already in use in access group {name}");
            }

            lun = (int)wanted;
        }
        else
        {
            lun = Enumerable.Range(0, MaxHostLunId + 1).FirstOrDefault(l => !used.Contains(l), -1);
            if (lun < 0)
            {
                throw TargetdErrors.NoFreeHostLunId(MaxHostLunId);
            }
        }

        return state.With(name, group with { Mappings = group.Mappings.Add(new MappingRecord(lun, pool, volume)) });
    }
}
