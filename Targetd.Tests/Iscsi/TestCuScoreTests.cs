namespace Targetd.Tests.Iscsi;

public sealed class TestCuScoreTests
{
    private const string Log = """
        Suite: SCSI.Inquiry
          Test: Standard ...passed
          Test: AllocLength ...
            Checking something
        passed
        Suite: SCSI.ExtendedCopy
          Test: Simple ...    [SKIPPED] EXTENDEDCOPY is not implemented.
        passed
          Test: ParamHdr ...
            [FAILED] Expected GOOD
        FAILED
        Suite: SCSI.Reserve6
          Test: Logout ...    Take out a RESERVE6 from the first initiator
        """;

    [Test]
    public void Each_test_is_judged_by_its_closing_verdict_and_skips_that_passed_count_apart()
    {
        var score = TestCuScore.Parse(Log);

        score.Clean.Should().Equal("SCSI.Inquiry.Standard", "SCSI.Inquiry.AllocLength");
        score.Skipped.Should().Equal("SCSI.ExtendedCopy.Simple");
        score.Failed.Should().Equal("SCSI.ExtendedCopy.ParamHdr", "SCSI.Reserve6.Logout");
        score.ToString().Should().Be("tests=5 clean=2 skipped=1 failed=2");
    }

    [Test]
    public void Crlf_line_ends_score_the_same()
    {
        TestCuScore.Parse(Log.Replace("\n", "\r\n", StringComparison.Ordinal)).ToString().Should().Be("tests=5 clean=2 skipped=1 failed=2");
    }
}
