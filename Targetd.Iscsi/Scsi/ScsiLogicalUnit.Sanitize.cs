using System.Buffers.Binary;

namespace Targetd.Iscsi.Scsi;

/// <content>
/// SANITIZE (SBC-3 §5.30): BLOCK ERASE returns every block to the unmapped state (zeroes where the device is not
/// thin), and EXIT FAILURE MODE. OVERWRITE and CRYPTOGRAPHIC ERASE are not offered. While the erase runs other
/// commands meet SANITIZE IN PROGRESS; with IMMED the status comes first and the erase continues.
/// </content>
internal sealed partial class ScsiLogicalUnit
{
    private const byte SanitizeBlockErase = 0x02;
    private const byte SanitizeExitFailureMode = 0x1F;

    private async ValueTask<ScsiResult> SanitizeAsync(ScsiRequest request, CancellationToken cancellationToken)
    {
        // CDB (SBC-3 §5.30.1, table 91): byte 1 IMMED (bit 7), reserved (bit 6), AUSE (bit 5), SERVICE ACTION;
        // bytes 2-6 reserved; bytes 7-8 PARAMETER LIST LENGTH.
        var cdb = request.Cdb.Span;
        byte action = (byte)(cdb[1] & 0x1F);
        bool immediate = (cdb[1] & 0x80) != 0;
        if ((cdb[1] & 0x40) != 0)
        {
            return ScsiResult.Check(Sense.InvalidFieldInCdb(1, 6));
        }

        for (int i = 2; i <= 6; i++)
        {
            if (cdb[i] != 0)
            {
                return ScsiResult.Check(Sense.InvalidFieldInCdb(i));
            }
        }

        if (action is not (SanitizeBlockErase or SanitizeExitFailureMode))
        {
            return ScsiResult.Check(Sense.InvalidFieldInCdb(1, 4));
        }

        // Neither BLOCK ERASE nor EXIT FAILURE MODE takes a parameter list.
        if (BinaryPrimitives.ReadUInt16BigEndian(cdb[7..]) != 0)
        {
            return ScsiResult.Check(Sense.InvalidFieldInCdb(7));
        }

        if (action == SanitizeExitFailureMode)
        {
            _device.SanitizeFailed = false;
            return ScsiResult.Good();
        }

        if (IsWriteProtected)
        {
            return ScsiResult.Check(WriteProtectedSense);
        }

        if (!_device.TryStartSanitize())
        {
            return ScsiResult.Check(Sense.SanitizeInProgress());
        }

        if (immediate)
        {
            _ = Task.Run(() => BlockEraseAsync(CancellationToken.None), CancellationToken.None);
            return ScsiResult.Good();
        }

        await BlockEraseAsync(cancellationToken).ConfigureAwait(false);
        return _device.SanitizeFailed ? ScsiResult.Check(Sense.SanitizeCommandFailed()) : ScsiResult.Good();
    }

    /// <summary>Erases the whole device; a failure leaves the medium in failure mode (SBC-3 §4.11.3).</summary>
    private async Task BlockEraseAsync(CancellationToken cancellationToken)
    {
        try
        {
            if (Medium.IsThin)
            {
                await Medium.DiscardAsync(0, BlockCount * BlockSize, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await Medium.WriteZeroesAsync(0, BlockCount * BlockSize, cancellationToken).ConfigureAwait(false);
            }

            await Medium.FlushAsync(cancellationToken).ConfigureAwait(false);
            _device.SanitizeFailed = false;
        }
        catch (Exception ex) when (ex is IOException or NotSupportedException or OperationCanceledException or ObjectDisposedException)
        {
            // The device failed or went away under the erase (IMMED keeps it running after the command).
            _device.SanitizeFailed = true;
        }
        finally
        {
            _device.EndSanitize();
        }
    }
}
