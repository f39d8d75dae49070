using Targetd.Core.Processes;

namespace Targetd.Tests.Storage.Lvm;

/// <summary>
/// Reports and messages as lvm2 2.03 (2.03.16, Debian 12) prints them for the commands the pool runs: the
/// JSON layout of lvmreport(7) with every value a string, sizes in bytes without a suffix (<c>--units b
/// --nosuffix</c>), percents with two decimals and <c>""</c> for fields that do not apply. Checked against real
/// lvm2 2.03.16 on device-mapper in the kernel guest (the KernelGuest category), which also runs every command.
/// </summary>
internal static class LvmOutputs
{
    public const string VgsLine = "vgs --reportformat json --units b --nosuffix -o vg_name,vg_uuid,vg_size,vg_free vg0";

    public const string LvsLine = "lvs --reportformat json --units b --nosuffix -o lv_name,lv_uuid,lv_size,lv_attr,pool_lv,data_percent,metadata_percent vg0";

    public const string VgUuid = "Xk3Vd8-pQ2r-5TnL-b7Ww-cY0e-Mf4H-9aZsKq";

    public const string Lv1Uuid = "c2bmXn-0xQ9-Tu2w-oJNO-hhbG-Zp1S-ZgN1mK";

    public const string Lv2Uuid = "R7fLq0-Yc3D-8wUe-N1mB-vT5s-Ka2J-pX9oHd";

    public const string ThinPoolUuid = "ez4Wb1-Hq7T-0sGk-Lm3P-Dv8r-Ju6N-cQ2yAf";

    public const string Thin1Uuid = "u8Nc2K-gR5v-Xo1W-e9Ts-Bm4L-zP7q-Fh3DjY";

    public const string Snap1Uuid = "W1pZ6j-Ks0E-cV8n-Qr2T-xL5g-Hd9M-aU4bNo";

    /// <summary><c>vgs … vg0</c>: 5119 extents of 4 MiB, 1279 of them free.</summary>
    public const string Vgs = """
          {
              "report": [
                  {
                      "vg": [
                          {"vg_name":"vg0", "vg_uuid":"Xk3Vd8-pQ2r-5TnL-b7Ww-cY0e-Mf4H-9aZsKq", "vg_size":"21470642176", "vg_free":"5364514816"}
                      ]
                  }
              ]
          }

        """;

    /// <summary>
    /// <c>lvs … vg0</c>: an active and an inactive linear LV, thin pool <c>tp</c> with an active thin LV and
    /// an inactive thin snapshot (activation skip 'k'), and a second thin pool <c>tp2</c> with a thin LV.
    /// </summary>
    public const string Lvs = """
          {
              "report": [
                  {
                      "lv": [
                          {"lv_name":"lv1", "lv_uuid":"c2bmXn-0xQ9-Tu2w-oJNO-hhbG-Zp1S-ZgN1mK", "lv_size":"1073741824", "lv_attr":"-wi-a-----", "pool_lv":"", "data_percent":"", "metadata_percent":""},
                          {"lv_name":"lv2", "lv_uuid":"R7fLq0-Yc3D-8wUe-N1mB-vT5s-Ka2J-pX9oHd", "lv_size":"4194304", "lv_attr":"-wi-------", "pool_lv":"", "data_percent":"", "metadata_percent":""},
                          {"lv_name":"other", "lv_uuid":"Jd5Rt2-aW8e-Pn0X-k3Lb-Gq6V-yM1s-Tz7CfE", "lv_size":"2147483648", "lv_attr":"Vwi-a-tz--", "pool_lv":"tp2", "data_percent":"0.00", "metadata_percent":""},
                          {"lv_name":"snap1", "lv_uuid":"W1pZ6j-Ks0E-cV8n-Qr2T-xL5g-Hd9M-aU4bNo", "lv_size":"2147483648", "lv_attr":"Vwi---tz-k", "pool_lv":"tp", "data_percent":"", "metadata_percent":""},
                          {"lv_name":"thin1", "lv_uuid":"u8Nc2K-gR5v-Xo1W-e9Ts-Bm4L-zP7q-Fh3DjY", "lv_size":"2147483648", "lv_attr":"Vwi-a-tz--", "pool_lv":"tp", "data_percent":"61.02", "metadata_percent":""},
                          {"lv_name":"tp", "lv_uuid":"ez4Wb1-Hq7T-0sGk-Lm3P-Dv8r-Ju6N-cQ2yAf", "lv_size":"10737418240", "lv_attr":"twi-aotz--", "pool_lv":"", "data_percent":"12.34", "metadata_percent":"4.61"},
                          {"lv_name":"tp2", "lv_uuid":"Yb2Nw9-fK4s-Ea7R-o1Vq-Lc5T-mH8d-Xp3GuJ", "lv_size":"4294967296", "lv_attr":"twi---tz--", "pool_lv":"", "data_percent":"", "metadata_percent":""}
                      ]
                  }
              ]
          }

        """;

    /// <summary>What <c>vgs</c> and <c>lvs</c> print on standard error for a VG that does not exist (exit status 5).</summary>
    public const string VgNotFound = "  Volume group \"vg0\" not found\n  Cannot process volume group vg0\n";

    /// <summary>
    /// <c>vgs</c> or <c>lvs</c> on a VG that does not exist: exit status 5, <see cref="VgNotFound"/> on standard
    /// error, and still a report with an empty list on standard output.
    /// </summary>
    public static RecordingProcessRunner FailVgNotFound(this RecordingProcessRunner runner, string program)
    {
        string kind = program == "vgs" ? "vg" : "lv";
        string emptyReport = $$"""
              {
                  "report": [
                      {
                          "{{kind}}": [
                          ]
                      }
                  ]
              }

            """;
        return runner.WhenStartsWith([program], new ProcessResult(5, emptyReport, VgNotFound));
    }

    public static RecordingProcessRunner Runner() =>
        new RecordingProcessRunner()
            .WhenStartsWith(["vgs"], ProcessResult.Success(Vgs))
            .WhenStartsWith(["lvs"], ProcessResult.Success(Lvs));

    public static RecordingProcessRunner Fail(this RecordingProcessRunner runner, string program, string standardError, int exitCode = 5) =>
        runner.WhenStartsWith([program], new ProcessResult(exitCode, string.Empty, standardError));
}
