using Targetd.Iscsi.Wire;
using Targetd.Iscsi.Wire.Pdus;

namespace Targetd.Iscsi.Server;

/// <summary>
/// Task management over a session's tasks (RFC 7143 §11.5, SAM-5 §7): ABORT TASK, ABORT TASK SET, CLEAR TASK SET,
/// LOGICAL UNIT RESET and the target resets. An aborted task gets no response; one whose response is already on its way
/// completes instead. Sends nothing: the connection answers with the response code.
/// </summary>
internal sealed class TaskManager
{
    private readonly IscsiSession _session;

    public TaskManager(IscsiSession session) => _session = session;

    /// <summary>Performs a task management function (§11.5.1) and returns its response (§11.6.1).</summary>
    public async Task<TaskManagementResponse> ManageAsync(TaskManagementFunction function, int lun, ulong lunField, uint referenced, uint cmdSN, uint refCmdSN)
    {
        var units = _session.Target!.UnitsFor(_session.InitiatorName);
        switch (function)
        {
            case TaskManagementFunction.AbortTask:
                if (_session.Tasks.TryGetValue(referenced, out var task) && task.LunField == lunField)
                {
                    // A task whose response is already on its way has completed: "Task does not exist".
                    return await AbortAsync([task]).ConfigureAwait(false) > 0 ? TaskManagementResponse.FunctionComplete : TaskManagementResponse.TaskDoesNotExist;
                }

                // §11.5.1: a task not found whose RefCmdSN is still inside the CmdSN window and before this request was
                // lost on the way and counts as received: "Function complete". Otherwise it has completed: "Task does not exist".
                return _session.Window.Contains(refCmdSN) && SerialNumber.LessThan(refCmdSN, cmdSN)
                    ? TaskManagementResponse.FunctionComplete : TaskManagementResponse.TaskDoesNotExist;
            case TaskManagementFunction.AbortTaskSet or TaskManagementFunction.ClearTaskSet:
                await AbortAsync([.. _session.Tasks.Values.Where(t => t.LunField == lunField)]).ConfigureAwait(false);
                return TaskManagementResponse.FunctionComplete;
            case TaskManagementFunction.LogicalUnitReset:
                if (!units.TryGetValue(lun, out var unit))
                {
                    return TaskManagementResponse.LunDoesNotExist;
                }

                await AbortAsync([.. _session.Tasks.Values.Where(t => t.LunField == lunField)]).ConfigureAwait(false);
                await unit.ResetAsync(logicalUnitReset: true).ConfigureAwait(false);
                return TaskManagementResponse.FunctionComplete;
            case TaskManagementFunction.TargetWarmReset or TaskManagementFunction.TargetColdReset:
                await AbortAsync([.. _session.Tasks.Values]).ConfigureAwait(false);
                foreach (var each in units.Values)
                {
                    await each.ResetAsync(logicalUnitReset: false).ConfigureAwait(false);
                }

                return TaskManagementResponse.FunctionComplete;
            case TaskManagementFunction.TaskReassign:
                return TaskManagementResponse.TaskAllegianceReassignmentNotSupported;
            default:
                return TaskManagementResponse.FunctionNotSupported;
        }
    }

    /// <summary>
    /// Aborts tasks: no response will follow for them; waits until running ones have stopped. Returns how many were
    /// aborted (a task whose response was already being sent completes instead).
    /// </summary>
    public async Task<int> AbortAsync(IscsiTask[] tasks)
    {
        var aborted = new List<IscsiTask>(tasks.Length);
        foreach (var task in tasks)
        {
            if (!task.TryAbort())
            {
                continue;
            }

            aborted.Add(task);
            await task.CancelAsync().ConfigureAwait(false);
            if (!task.IsStarted && _session.Tasks.TryRemove(KeyValuePair.Create(task.InitiatorTaskTag, task)))
            {
                task.Dispose();
            }
        }

        foreach (var task in aborted.Where(t => t.IsStarted))
        {
            await task.Completion.ConfigureAwait(false);
        }

        return aborted.Count;
    }
}
