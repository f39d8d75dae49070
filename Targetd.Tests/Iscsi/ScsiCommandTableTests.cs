using System.Buffers.Binary;
using Targetd.Core.BlockDevices;
using Targetd.Iscsi.Scsi;

namespace Targetd.Tests.Iscsi;

/// <summary>The one command table: dispatch, REPORT SUPPORTED OPERATION CODES and the CDB rules all agree with it.</summary>
public sealed class ScsiCommandTableTests
{
    private static ScsiLogicalUnit Unit() => new(new MemoryBlockDevice(1 << 20), "iqn.2024-01.net.targetd.test:table", 0);

    private static async Task<(ScsiResult Result, byte[] Data)> RunAsync(ScsiLogicalUnit unit, byte[] cdb, int dataIn = 0)
    {
        var buffer = new byte[dataIn];
        var result = await unit.ExecuteAsync(new ScsiRequest(cdb, 1, new byte[4096], buffer), CancellationToken.None);
        return (result, buffer[..result.DataInLength]);
    }

    private static byte[] CdbOf(ScsiCommand command)
    {
        var cdb = new byte[16];
        cdb[0] = (byte)command.Opcode;
        cdb[1] = command.ServiceAction ?? 0;
        return cdb;
    }

    /// <summary>SAM-5 §5.2: the opcode's group code (bits 5-7) fixes the CDB length.</summary>
    private static int GroupLength(ScsiOpcode opcode) => ((byte)opcode >> 5) switch
    {
        0 => 6,
        1 or 2 => 10,
        4 => 16,
        5 => 12,
        _ => -1,
    };

    [Test]
    public void Every_row_is_unique_has_a_cdb_length_its_group_code_allows_and_names_its_opcode_in_the_usage_data()
    {
        var rows = ScsiCommandTable.Commands;

        rows.Select(r => (r.Opcode, r.ServiceAction)).Should().OnlyHaveUniqueItems();
        foreach (var row in rows)
        {
            row.CdbLength.Should().Be(GroupLength(row.Opcode), $"{row.Opcode}");
            row.Usage[0].Should().Be((byte)row.Opcode);
            if (row.ServiceAction is { } action)
            {
                (row.Usage[1] & 0x1F).Should().Be(action, $"{row.Opcode}/{action:x2}: the service action field holds the action");
            }

            ScsiCommandTable.Find((byte)row.Opcode, row.ServiceAction ?? 0).Should().BeSameAs(row);
        }
    }

    [Test]
    public void Every_named_opcode_is_served()
    {
        var served = ScsiCommandTable.Commands.Select(r => r.Opcode).ToHashSet();

        Enum.GetValues<ScsiOpcode>().Should().OnlyContain(o => served.Contains(o));
    }

    [Test]
    public async Task Every_listed_command_reaches_its_handler()
    {
        var unit = Unit();
        foreach (var row in ScsiCommandTable.Commands)
        {
            var (result, _) = await RunAsync(unit, CdbOf(row), 4096);
            if (result.Sense is { } sense)
            {
                sense.Asc.Should().NotBe(0x20, $"{row.Opcode} is served");
                (sense.Asc == 0x24 && sense.FieldPointer == 1 && sense.BitPointer == 4).Should().BeFalse(
                    $"{row.Opcode} service action {row.ServiceAction} is served");
            }
        }
    }

    [Test]
    public async Task Every_unlisted_opcode_gets_invalid_command_operation_code()
    {
        var unit = Unit();
        for (int opcode = 0; opcode < 256; opcode++)
        {
            if (ScsiCommandTable.Commands.Any(r => (byte)r.Opcode == opcode))
            {
                continue;
            }

            var cdb = new byte[16];
            cdb[0] = (byte)opcode;
            var (result, _) = await RunAsync(unit, cdb, 512);
            result.Sense.Should().Be(Sense.InvalidOpcode(), $"opcode {opcode:x2}h is not served");
        }
    }

    [Test]
    public async Task An_unlisted_service_action_of_a_served_opcode_names_the_service_action_field()
    {
        var unit = Unit();
        foreach (var opcode in ScsiCommandTable.Commands.Where(r => r.ServiceAction is not null).Select(r => (byte)r.Opcode).Distinct())
        {
            for (byte action = 0; action < 0x20; action++)
            {
                if (ScsiCommandTable.Find(opcode, action) is not null)
                {
                    continue;
                }

                var cdb = new byte[16];
                cdb[0] = opcode;
                cdb[1] = action;
                (await RunAsync(unit, cdb, 512)).Result.Sense.Should().Be(Sense.InvalidFieldInCdb(1, 4), $"{opcode:x2}h/{action:x2}h");
            }
        }
    }

    [Test]
    public async Task A_cdb_shorter_than_its_command_is_an_invalid_field_not_an_exception()
    {
        var unit = Unit();
        foreach (var row in ScsiCommandTable.Commands)
        {
            byte[] cdb = CdbOf(row)[..Math.Min(2, row.CdbLength - 1)];
            var (result, _) = await RunAsync(unit, cdb, 512);
            result.Sense.Should().Be(Sense.InvalidFieldInCdb(0), $"{row.Opcode} needs {row.CdbLength} bytes");
        }
    }

    [Test]
    public async Task Report_supported_operation_codes_lists_the_table_and_returns_its_usage_data()
    {
        var unit = Unit();
        var (_, all) = await RunAsync(unit, Cdb.ReportSupportedOperationCodes(0), 8192);
        var rows = ScsiCommandTable.Commands;

        BinaryPrimitives.ReadUInt32BigEndian(all).Should().Be((uint)(8 * rows.Count));
        for (int i = 0; i < rows.Count; i++)
        {
            var descriptor = all.AsSpan(4 + (8 * i), 8);
            descriptor[0].Should().Be((byte)rows[i].Opcode);
            BinaryPrimitives.ReadUInt16BigEndian(descriptor[2..]).Should().Be(rows[i].ServiceAction ?? 0);
            (descriptor[5] & 0x01).Should().Be(rows[i].ServiceAction is null ? 0 : 1, "SERVACTV");
            BinaryPrimitives.ReadUInt16BigEndian(descriptor[6..]).Should().Be((ushort)rows[i].CdbLength);

            byte options = rows[i].ServiceAction is null ? (byte)1 : (byte)2;
            var (result, one) = await RunAsync(unit, Cdb.ReportSupportedOperationCodes(options, (byte)rows[i].Opcode, rows[i].ServiceAction ?? 0), 64);
            result.Status.Should().Be(ScsiStatus.Good);
            (one[1] & 0x07).Should().Be(0x03, "SUPPORT: supported as the standard says");
            one.AsSpan(4).ToArray().Should().Equal(rows[i].Usage, $"{rows[i].Opcode} usage data is the table's");
        }
    }

    [Test]
    public async Task Dpo_is_in_the_usage_data_of_every_ten_to_sixteen_byte_medium_access_because_mode_sense_claims_dpofua()
    {
        var (_, mode) = await RunAsync(Unit(), Cdb.ModeSense6(0x3F), 255);
        (mode[2] & 0x10).Should().Be(0x10, "DPOFUA");

        var transfers = ScsiCommandTable.Commands.Where(r => r.Has(ScsiCommandTraits.MediumAccess) && r.CdbLength > 6
            && r.Opcode is not (ScsiOpcode.PreFetch10 or ScsiOpcode.PreFetch16 or ScsiOpcode.WriteSame10 or ScsiOpcode.WriteSame16 or ScsiOpcode.Unmap));
        transfers.Should().OnlyContain(r => (r.Usage[1] & 0x10) == 0x10);
    }

    [Test]
    public void Usage_data_does_not_claim_every_bit()
    {
        // READ(10): RDPROTECT, DPO and FUA are evaluated; RARC, the GROUP NUMBER and the control byte are not.
        var read10 = ScsiCommandTable.Find(0x28, 0)!;
        read10.Usage.Should().Equal(0x28, 0xF8, 0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0xFF, 0xFF, 0x00);
        ScsiCommandTable.Commands.Select(r => r.Usage[r.Usage.Length - 1]).Should().OnlyContain(b => b == 0x00, "NACA is not supported");
    }
}
