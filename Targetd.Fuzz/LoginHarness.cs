using System.Buffers;
using Targetd.Core.BlockDevices;
using Targetd.Iscsi.Server;
using Targetd.Iscsi.Targets;
using Targetd.Iscsi.Wire;

namespace Targetd.Fuzz;

/// <summary>
/// Login text parsing and negotiation: the input is cut into PDUs; each one's data segment is parsed as key=value
/// text and, with its header, handed to one <see cref="LoginNegotiation"/> as a Login Request, until the login
/// fails, completes or the text is refused.
/// </summary>
internal static class LoginHarness
{
    public const string TargetName = "iqn.2024-01.net.targetd.fuzz:disk";

    public static void Run(Stream stream)
    {
        var buffer = new ReadOnlySequence<byte>(FuzzInput.ReadAll(stream));
        var negotiation = new LoginNegotiation(NewRegistry(1 << 20));
        var framer = new PduFramer { MaxDataSegmentLength = 65536 };
        try
        {
            while (framer.TryRead(ref buffer, out var pdu))
            {
                using (pdu)
                {
                    if (!TextParameters.TryParse(pdu!.Data.Span, out var pairs))
                    {
                        return; // refused text: a Login Response with an initiator error
                    }

                    _ = TextParameters.Encode(pairs);
                    var result = negotiation.Process(LoginRequest.Parse(pdu.Header, pairs));
                    _ = TextParameters.Encode(result.Keys);
                    if (result.Status != LoginStatus.Success || result.IsFinal)
                    {
                        return;
                    }
                }
            }
        }
        catch (IscsiProtocolException)
        {
            // a refused stream
        }
    }

    /// <summary>A registry serving one target with a memory-backed LUN 0.</summary>
    public static IscsiTargetRegistry NewRegistry(long size)
    {
        var registry = new IscsiTargetRegistry();
        var target = new IscsiTarget(TargetName, "fuzz disk");
        target.AddLun(0, new MemoryBlockDevice(size));
        registry.Add(target);
        return registry;
    }
}
