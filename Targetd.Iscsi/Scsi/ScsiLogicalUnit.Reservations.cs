using System.Buffers.Binary;
using Targetd.Iscsi.Scsi.Reservations;

namespace Targetd.Iscsi.Scsi;

/// <summary>Reservations: PERSISTENT RESERVE IN/OUT (SPC-4 §6.14, §6.15) and RESERVE/RELEASE 6 and 10 (SPC-2 §7.21, §7.17).</summary>
internal sealed partial class ScsiLogicalUnit
{
    private ScsiResult PersistentReserveIn(ScsiRequest request)
    {
        var cdb = request.Cdb.Span;
        int allocation = BinaryPrimitives.ReadUInt16BigEndian(cdb[7..]);
        byte[] data = _reservations.In(cdb[1] & 0x1F);
        return data.Length == 0 ? ScsiResult.Check(Sense.InvalidFieldInCdb(1, 4)) : ScsiResult.Data(data, allocation, request.DataIn);
    }

    private async ValueTask<ScsiResult> PersistentReserveOutAsync(ScsiRequest request, CancellationToken cancellationToken)
    {
        var action = (PersistentReserveOutAction)(request.Cdb.Span[1] & 0x1F);
        if (!Enum.IsDefined(action))
        {
            return ScsiResult.Check(Sense.InvalidFieldInCdb(1, 4));
        }

        // SPC-4 §6.15.3: without SPEC_I_PT the parameter list is exactly 24 bytes.
        uint length = BinaryPrimitives.ReadUInt32BigEndian(request.Cdb.Span[5..]);
        if (length != ReservationState.ParameterListLength || request.DataOut.Length < ReservationState.ParameterListLength)
        {
            return ScsiResult.Check(Sense.ParameterListLengthError());
        }

        var result = await _reservations.OutAsync(
            request.Nexus, request.Port, action, request.Cdb.Span[2], request.DataOut[..ReservationState.ParameterListLength], cancellationToken).ConfigureAwait(false);
        return result.Status == ScsiStatus.Good ? ScsiResult.Good(ReservationState.ParameterListLength) : result;
    }

    private ValueTask<ScsiResult> ReserveAsync(ScsiRequest request, CancellationToken cancellationToken)
    {
        var cdb = request.Cdb.Span;
        if (cdb[0] == (byte)ScsiOpcode.Reserve10 && (cdb[1] & 0x12) != 0)
        {
            return ValueTask.FromResult(ScsiResult.Check(Sense.InvalidFieldInCdb(1, (cdb[1] & 0x10) != 0 ? 4 : 1))); // third-party reservations
        }

        return _reservations.ReserveAsync(request.Nexus, cancellationToken);
    }

    private ValueTask<ScsiResult> ReleaseAsync(ScsiRequest request, CancellationToken cancellationToken)
    {
        var cdb = request.Cdb.Span;
        if (cdb[0] == (byte)ScsiOpcode.Release10 && (cdb[1] & 0x12) != 0)
        {
            return ValueTask.FromResult(ScsiResult.Check(Sense.InvalidFieldInCdb(1, (cdb[1] & 0x10) != 0 ? 4 : 1)));
        }

        return _reservations.ReleaseAsync(request.Nexus, cancellationToken);
    }
}
