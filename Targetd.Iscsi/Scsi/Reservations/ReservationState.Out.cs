using System.Buffers.Binary;

namespace Targetd.Iscsi.Scsi.Reservations;

/// <summary>PERSISTENT RESERVE OUT (SPC-4 §6.15, §5.9.7 to §5.9.11).</summary>
internal sealed partial class ReservationState
{
    /// <summary>The basic parameter list length (SPC-4 §6.15.3, table 173).</summary>
    public const int ParameterListLength = 24;

    private long _registrationOrder;
    private string[] _preempted = [];

    /// <summary>Executes PERSISTENT RESERVE OUT with its 24-byte parameter list already length-checked.</summary>
    /// <param name="nexus">The I_T nexus.</param>
    /// <param name="port">Its initiator port.</param>
    /// <param name="action">The service action (CDB byte 1).</param>
    /// <param name="scopeAndType">CDB byte 2: SCOPE in bits 7-4, TYPE in bits 3-0.</param>
    /// <param name="parameters">The parameter list.</param>
    /// <param name="persist">A snapshot to save when persistence through power loss is (or was until now) active.</param>
    /// <param name="preempted">The initiator ports whose registrations a PREEMPT removed.</param>
    public ScsiResult Out(
        ulong nexus,
        string port,
        PersistentReserveOutAction action,
        byte scopeAndType,
        ReadOnlySpan<byte> parameters,
        out ReservationFile.Snapshot? persist,
        out IReadOnlyCollection<string> preempted)
    {
        persist = null;
        preempted = [];
        ulong key = BinaryPrimitives.ReadUInt64BigEndian(parameters);
        ulong serviceActionKey = BinaryPrimitives.ReadUInt64BigEndian(parameters[8..]);
        byte flags = parameters[20];
        if ((flags & 0x08) != 0)
        {
            return ScsiResult.Check(Sense.InvalidFieldInParameterList(20)); // SPEC_I_PT: SIP_C is zero
        }

        bool aptpl = (flags & 0x01) != 0;
        if (aptpl && !PersistenceOffered)
        {
            return ScsiResult.Check(Sense.InvalidFieldInParameterList(20)); // APTPL: PTPL_C is zero
        }

        lock (_gate)
        {
            bool wasPersistent = _persistThroughPowerLoss;
            _preempted = [];
            var result = OutLocked(nexus, port, action, scopeAndType, key, serviceActionKey, aptpl);
            preempted = _preempted;
            UpdateActive();
            if (result.Status == ScsiStatus.Good && File is not null && (wasPersistent || _persistThroughPowerLoss))
            {
                persist = TakeSnapshot();
            }

            return result;
        }
    }

    private ScsiResult OutLocked(
        ulong nexus, string port, PersistentReserveOutAction action, byte scopeAndType, ulong key, ulong serviceActionKey, bool aptpl)
    {
        // SPC-2 §5.5.1: a RESERVE reservation held by another I_T nexus stops PERSISTENT RESERVE OUT too.
        if (_legacyHolder is { } legacy && legacy != nexus)
        {
            return ScsiResult.Conflict();
        }

        bool registered = _registrations.TryGetValue(port, out var current);
        switch (action)
        {
            case PersistentReserveOutAction.Register:
                // SPC-4 §5.9.7: the RESERVATION KEY must be the registered key, or zero for an unregistered nexus.
                if (key != (registered ? current.Key : 0))
                {
                    return ScsiResult.Conflict();
                }

                return Register(port, serviceActionKey, registered, aptpl);
            case PersistentReserveOutAction.RegisterAndIgnoreExistingKey:
                return Register(port, serviceActionKey, registered, aptpl);
            case PersistentReserveOutAction.RegisterAndMove or PersistentReserveOutAction.ReplaceLostReservation:
                return ScsiResult.Check(Sense.InvalidFieldInCdb(1, 4));
            default:
                break;
        }

        // Every other service action needs a registered I_T nexus and its key (SPC-4 §6.15.2).
        if (!registered || key != current.Key)
        {
            return ScsiResult.Conflict();
        }

        return action switch
        {
            PersistentReserveOutAction.Reserve => Reserve(port, scopeAndType),
            PersistentReserveOutAction.Release => ReleasePersistent(port, scopeAndType),
            PersistentReserveOutAction.Clear => Clear(port),
            PersistentReserveOutAction.Preempt or PersistentReserveOutAction.PreemptAndAbort =>
                Preempt(port, serviceActionKey, scopeAndType),
            _ => ScsiResult.Check(Sense.InvalidFieldInCdb(1, 4)),
        };
    }

    private static bool TryReadType(byte scopeAndType, out PersistentReservationType type, out ScsiResult refusal)
    {
        type = (PersistentReservationType)(scopeAndType & 0x0F);
        refusal = default;
        if ((scopeAndType >> 4) != 0)
        {
            refusal = ScsiResult.Check(Sense.InvalidFieldInCdb(2, 7)); // only LU_SCOPE
            return false;
        }

        if (!Enum.IsDefined(type))
        {
            refusal = ScsiResult.Check(Sense.InvalidFieldInCdb(2, 3));
            return false;
        }

        return true;
    }

    /// <summary>REGISTER and REGISTER AND IGNORE EXISTING KEY (SPC-4 §5.9.7); their APTPL bit applies to the whole unit (§5.9.4).</summary>
    private ScsiResult Register(string port, ulong serviceActionKey, bool registered, bool aptpl)
    {
        _persistThroughPowerLoss = aptpl;
        if (serviceActionKey == 0)
        {
            if (registered)
            {
                Unregister(port);
                _generation++;
            }

            UpdateActive();
            return ScsiResult.Good();
        }

        long order = registered ? _registrations[port].Order : ++_registrationOrder;
        _registrations[port] = new Registration(serviceActionKey, order);
        _generation++;
        return ScsiResult.Good();
    }

    /// <summary>SPC-4 §5.9.11: removing the holder's registration releases its reservation.</summary>
    private void Unregister(string port)
    {
        _registrations.Remove(port);
        if (_type is not { } type)
        {
            return;
        }

        if (IsAllRegistrants(type))
        {
            if (_registrations.Count == 0)
            {
                _type = null;
            }
        }
        else if (_holder == port)
        {
            _type = null;
            _holder = null;
            if (IsRegistrantsOnly(type))
            {
                Attentions.Establish(_registrations.Keys, Sense.ReservationsReleased());
            }
        }
    }

    /// <summary>RESERVE (SPC-4 §5.9.8).</summary>
    private ScsiResult Reserve(string port, byte scopeAndType)
    {
        if (!TryReadType(scopeAndType, out var type, out var refusal))
        {
            return refusal;
        }

        if (_type is null)
        {
            _type = type;
            _holder = port;
            return ScsiResult.Good();
        }

        return IsHolder(port) && _type == type ? ScsiResult.Good() : ScsiResult.Conflict();
    }

    /// <summary>RELEASE (SPC-4 §5.9.9).</summary>
    private ScsiResult ReleasePersistent(string port, byte scopeAndType)
    {
        if (_type is not { } held || !IsHolder(port))
        {
            return ScsiResult.Good();
        }

        if ((scopeAndType >> 4) != 0 || (byte)held != (scopeAndType & 0x0F))
        {
            return ScsiResult.Check(Sense.InvalidReleaseOfPersistentReservation());
        }

        _type = null;
        _holder = null;
        if (IsAllRegistrants(held) || IsRegistrantsOnly(held))
        {
            Attentions.Establish(_registrations.Keys.Where(p => p != port), Sense.ReservationsReleased());
        }

        return ScsiResult.Good();
    }

    /// <summary>CLEAR (SPC-4 §5.9.11.6): every registration and the reservation go.</summary>
    private ScsiResult Clear(string port)
    {
        Attentions.Establish(_registrations.Keys.Where(p => p != port).ToArray(), Sense.ReservationsPreempted());
        _registrations.Clear();
        _type = null;
        _holder = null;
        _generation++;
        return ScsiResult.Good();
    }

    /// <summary>PREEMPT and PREEMPT AND ABORT (SPC-4 §5.9.11.4, §5.9.11.5).</summary>
    private ScsiResult Preempt(string port, ulong serviceActionKey, byte scopeAndType)
    {
        if (_type is { } held && IsAllRegistrants(held) && serviceActionKey == 0)
        {
            // Preempting an all-registrants reservation with key zero removes every other registrant.
            if (!TryReadType(scopeAndType, out var newType, out var refusal))
            {
                return refusal;
            }

            RemoveRegistrations(port, _ => true);
            _type = newType;
            _holder = port;
            _generation++;
            return ScsiResult.Good();
        }

        bool preemptsHolder = _type is { } type && !IsAllRegistrants(type) && _holder is { } holder
            && _registrations.TryGetValue(holder, out var holderRegistration) && holderRegistration.Key == serviceActionKey;
        if (preemptsHolder)
        {
            if (!TryReadType(scopeAndType, out var newType, out var refusal))
            {
                return refusal;
            }

            RemoveRegistrations(port, r => r.Key == serviceActionKey);
            _type = newType;
            _holder = port;
            _generation++;
            return ScsiResult.Good();
        }

        if (serviceActionKey == 0)
        {
            return ScsiResult.Check(Sense.InvalidFieldInParameterList(8));
        }

        if (RemoveRegistrations(port, r => r.Key == serviceActionKey) == 0)
        {
            return ScsiResult.Conflict();
        }

        _generation++;
        return ScsiResult.Good();
    }

    /// <summary>Removes the other ports' registrations that match, with REGISTRATIONS PREEMPTED for each; returns how many.</summary>
    private int RemoveRegistrations(string keep, Func<Registration, bool> match)
    {
        var removed = _registrations.Where(r => r.Key != keep && match(r.Value)).Select(r => r.Key).ToArray();
        foreach (string each in removed)
        {
            _registrations.Remove(each);
            if (_holder == each)
            {
                _holder = null;
            }
        }

        Attentions.Establish(removed, Sense.RegistrationsPreempted());
        _preempted = [.. _preempted, .. removed];
        if (_type is { } type && IsAllRegistrants(type) && _registrations.Count == 0)
        {
            _type = null;
        }

        return removed.Length;
    }
}
