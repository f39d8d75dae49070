namespace Targetd.Iscsi.Wire.Pdus;

/// <summary>"Task Attributes (ATTR) have one of the following integer values" (RFC 7143 §11.3.1): byte 1, bits 5-7.</summary>
internal enum TaskAttribute : byte
{
    Untagged = 0,
    Simple = 1,
    Ordered = 2,
    HeadOfQueue = 3,
    AutoContingentAllegiance = 4,
}
