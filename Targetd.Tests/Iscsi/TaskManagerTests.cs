using Targetd.Core.BlockDevices;
using Targetd.Iscsi.Server;
using Targetd.Iscsi.Targets;
using Targetd.Iscsi.Wire.Pdus;
using Targetd.Tests.Support;

namespace Targetd.Tests.Iscsi;

/// <summary>Task management over a session's task table, without a connection (RFC 7143 §11.5, §11.6).</summary>
public sealed class TaskManagerTests
{
    [Test]
    public async Task Abort_task_of_a_task_waiting_for_data_removes_it_and_gives_its_buffer_back()
    {
        var pool = new PoisoningBufferPool();
        var (session, manager) = NewSession();
        var task = new IscsiTask(7, 0, 0, new byte[16], 5, 8192, isRead: false, isWrite: true, pool);
        task.EnsureDataOutBuffer();
        session.Tasks[7] = task;

        (await manager.ManageAsync(TaskManagementFunction.AbortTask, 0, 0, referenced: 7, cmdSN: 6, refCmdSN: 5))
            .Should().Be(TaskManagementResponse.FunctionComplete);
        session.Tasks.Should().BeEmpty();
        task.IsAborted.Should().BeTrue();
        pool.Outstanding.Should().Be(0);
    }

    [Test]
    public async Task Abort_task_of_an_unknown_tag_is_complete_only_when_the_task_may_still_be_on_its_way()
    {
        var (session, manager) = NewSession();
        session.Window.Start(10, 128);

        // §11.5.1: RefCmdSN inside the window and before this request: the command was lost and counts as received.
        (await manager.ManageAsync(TaskManagementFunction.AbortTask, 0, 0, referenced: 99, cmdSN: 12, refCmdSN: 11))
            .Should().Be(TaskManagementResponse.FunctionComplete);
        (await manager.ManageAsync(TaskManagementFunction.AbortTask, 0, 0, referenced: 99, cmdSN: 12, refCmdSN: 13))
            .Should().Be(TaskManagementResponse.TaskDoesNotExist, "RefCmdSN after the request");
        (await manager.ManageAsync(TaskManagementFunction.AbortTask, 0, 0, referenced: 99, cmdSN: 12, refCmdSN: 9))
            .Should().Be(TaskManagementResponse.TaskDoesNotExist, "RefCmdSN before the window: it has completed");
    }

    [Test]
    public async Task An_abort_that_won_against_a_task_which_then_completed_and_was_disposed_is_still_answered()
    {
        var (session, manager) = NewSession();
        var task = new IscsiTask(4, 0, 0, new byte[16], 1, 0, isRead: false, isWrite: false) { IsStarted = true };
        session.Tasks[4] = task;
        task.TryAbort().Should().BeTrue();
        task.MarkCompleted();
        task.Dispose(); // the execution ended (sending nothing, as it was aborted) before the abort cancelled it

        (await manager.ManageAsync(TaskManagementFunction.AbortTask, 0, 0, referenced: 4, cmdSN: 2, refCmdSN: 1))
            .Should().Be(TaskManagementResponse.FunctionComplete);
    }

    [Test]
    public async Task A_task_whose_response_is_on_its_way_is_not_aborted()
    {
        var (session, manager) = NewSession();
        var task = new IscsiTask(3, 0, 0, new byte[16], 1, 0, isRead: false, isWrite: false);
        session.Tasks[3] = task;
        task.TryBeginResponse().Should().BeTrue();
        task.IsStarted = true;
        task.MarkCompleted();

        (await manager.ManageAsync(TaskManagementFunction.AbortTask, 0, 0, referenced: 3, cmdSN: 2, refCmdSN: 1))
            .Should().Be(TaskManagementResponse.TaskDoesNotExist);
        task.IsAborted.Should().BeFalse();
    }

    [Test]
    public async Task Functions_not_offered_are_answered_as_such()
    {
        var (_, manager) = NewSession();
        (await manager.ManageAsync(TaskManagementFunction.TaskReassign, 0, 0, 0, 1, 1)).Should().Be(TaskManagementResponse.TaskAllegianceReassignmentNotSupported);
        (await manager.ManageAsync(TaskManagementFunction.ClearAca, 0, 0, 0, 1, 1)).Should().Be(TaskManagementResponse.FunctionNotSupported);
    }

    [Test]
    public async Task A_reset_of_a_lun_the_initiator_does_not_see_is_lun_does_not_exist()
    {
        var (_, manager) = NewSession();
        (await manager.ManageAsync(TaskManagementFunction.LogicalUnitReset, 5, 0x0005_0000_0000_0000, 0, 1, 1))
            .Should().Be(TaskManagementResponse.LunDoesNotExist);
        (await manager.ManageAsync(TaskManagementFunction.LogicalUnitReset, 0, 0, 0, 1, 1))
            .Should().Be(TaskManagementResponse.FunctionComplete);
    }

    private static (IscsiSession Session, TaskManager Manager) NewSession()
    {
        var registry = new IscsiTargetRegistry();
        var target = new IscsiTarget(LoopbackTarget.TargetName);
        target.AddLun(0, new MemoryBlockDevice(1 << 20));
        registry.Add(target);
        var session = new IscsiSession(128, 128 << 20);
        session.Register(registry, new IscsiSessionInfo(TestInitiator.DefaultName, "800000010001", 1, target.Name, null, null), target, _ => { });
        return (session, new TaskManager(session));
    }
}
