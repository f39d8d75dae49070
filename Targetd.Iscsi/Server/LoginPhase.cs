using Targetd.Iscsi.Wire;

namespace Targetd.Iscsi.Server;

/// <summary>
/// The login phase of a connection (RFC 7143 §6, §11.12): gathers the text of continued Login Requests, starts the
/// command window with the first request's CmdSN, and hands each complete request to the negotiation. Sends nothing:
/// the connection answers with the result.
/// </summary>
internal sealed class LoginPhase : IDisposable
{
    private readonly MemoryStream _text = new();
    private readonly CommandWindow _window;
    private readonly int _queueDepth;
    private bool _started;

    public LoginPhase(Targets.IscsiTargetRegistry registry, CommandWindow window, int queueDepth)
    {
        Negotiation = new LoginNegotiation(registry);
        _window = window;
        _queueDepth = queueDepth;
    }

    /// <summary>What has been negotiated so far: initiator, target, parameters.</summary>
    public LoginNegotiation Negotiation { get; }

    /// <summary>
    /// Takes one Login Request; returns the Login Response's content. A request with C set (its text continues) is
    /// answered with an empty response in its stage (§11.12.2); a failure status ends the login.
    /// </summary>
    /// <exception cref="IscsiProtocolException">The PDU is not a Login Request.</exception>
    public LoginResult Take(IscsiPdu pdu)
    {
        if (pdu.Opcode != IscsiOpcode.LoginRequest)
        {
            throw new IscsiProtocolException($"{pdu.Opcode} received before login completed.");
        }

        var bhs = pdu.Header;
        if (!_started)
        {
            // §11.12.6: the CmdSN of the first Login Request is the one the first command will carry.
            _started = true;
            _window.Start(bhs.CmdSN, _queueDepth);
        }

        if (_text.Length + pdu.DataLength > TargetLimits.MaxTextLength)
        {
            return LoginResult.Failure(LoginStatus.InitiatorError);
        }

        _text.Write(pdu.Data.Span);
        if ((bhs.Flags & 0x40) != 0)
        {
            return new LoginResult(false, (bhs.Flags >> 2) & 0x03, 0, LoginStatus.Success, []);
        }

        bool parsed = TextParameters.TryParse(_text.GetBuffer().AsSpan(0, (int)_text.Length), out var keys);
        _text.SetLength(0);
        return parsed ? Negotiation.Process(LoginRequest.Parse(bhs, keys)) : LoginResult.Failure(LoginStatus.InitiatorError);
    }

    public void Dispose() => _text.Dispose();
}
