namespace Targetd.Iscsi.Wire.Pdus;

/// <summary>The CSG and NSG values of a Login PDU (RFC 7143 §11.12.3): "0 - SecurityNegotiation, 1 - LoginOperationalNegotiation, 3 - FullFeaturePhase".</summary>
internal enum LoginStage : byte
{
    SecurityNegotiation = 0,
    LoginOperationalNegotiation = 1,
    FullFeaturePhase = 3,
}
