namespace Targetd.Iscsi.Scsi;

/// <summary>Runs one command on a logical unit: the handler a <see cref="ScsiCommand"/> row names.</summary>
internal delegate ValueTask<ScsiResult> ScsiCommandHandler(ScsiLogicalUnit unit, ScsiRequest request, CancellationToken cancellationToken);
