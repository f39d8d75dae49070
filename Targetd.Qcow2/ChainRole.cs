namespace Targetd.Qcow2;

/// <summary>The part a file plays in an image's chain, for the messages that refuse it.</summary>
internal enum ChainRole
{
    Image,
    BackingFile,
    DataFile,
}
