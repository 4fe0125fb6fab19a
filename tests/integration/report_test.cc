// `ndxpctl report` against a running hub over mutual TLS, on planted history:
// 2023 H1 1,000,000 transactions, 2024 H1 1,670,000 (+67.0%), documents sent
// 100,000 -> 380,000 (3.80x), and 30,000 calls the hub refused itself in 2024
// H1 (not transactions, but refusals). The figures and the Vietnamese
// sentence are checked exactly, and the HTML is rendered by headless Chromium
// to a PNG whose pixels show the charts.
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "common/sqlite/sqlite.h"
#include "gateway/config/hub_config.h"
#include "gateway/hub_server.h"
#include "gateway/recording/postgres/postgres_test_server.h"
#include "gateway/statistics/history_import.h"
#include "tests/integration/recording_connector.h"
#include "tests/testing/png_image.h"
#include "tests/testing/test_pki.h"
#include "tools/ndxpctl/ndxpctl.h"

namespace ndxp {
namespace {

using ::testing::HasSubstr;

// consumer, provider, service/method, status, count on one day of each month.
constexpr char kHistory[] =
    "day,consumer,provider,service,method,status,count\n"
    // 2023 H1: 1,000,000.
    "2023-02-10,000.00.00.G12/tax-lookup,000.00.00.G04,ndxp.residents.v1.ResidentRegistry,"
    "VerifyCitizen,OK,500000\n"
    "2023-03-15,000.00.01.B05/benefits,000.00.00.G04,ndxp.residents.v1.ResidentRegistry,"
    "GetCitizen,OK,300000\n"
    "2023-05-20,000.01.01.H29/civil-registration,000.00.00.A02,"
    "ndxp.documents.v1.DocumentExchange,SendDocument,OK,100000\n"
    "2023-06-30,000.00.00.G12/tax-lookup,000.00.00.G22,ndxp.insurance.v1.InsuranceRegistry,"
    "GetInsuredPerson,OK,70000\n"
    "2023-04-01,000.00.00.G12/tax-lookup,000.00.00.G04,ndxp.residents.v1.ResidentRegistry,"
    "GetCitizen,PERMISSION_DENIED,20000\n"
    "2023-04-02,000.00.00.G12/tax-lookup,000.00.00.G04,ndxp.residents.v1.ResidentRegistry,"
    "GetCitizen,UNAVAILABLE,10000\n"
    // 2024 H1: 1,670,000; two subsystems of 000.00.00.G12.
    "2024-01-10,000.00.00.G12/tax-lookup,000.00.00.G04,ndxp.residents.v1.ResidentRegistry,"
    "VerifyCitizen,OK,600000\n"
    "2024-02-12,000.00.00.G12/audit,000.00.00.G04,ndxp.residents.v1.ResidentRegistry,"
    "GetCitizen,OK,150000\n"
    "2024-03-15,000.00.01.B05/benefits,000.00.00.G04,ndxp.residents.v1.ResidentRegistry,"
    "GetCitizen,OK,320000\n"
    "2024-05-20,000.01.01.H29/civil-registration,000.00.00.A02,"
    "ndxp.documents.v1.DocumentExchange,SendDocument,OK,380000\n"
    "2024-06-30,000.00.00.G12/tax-lookup,000.00.00.G22,ndxp.insurance.v1.InsuranceRegistry,"
    "GetInsuredPerson,OK,150000\n"
    "2024-04-01,000.00.00.G12/tax-lookup,000.00.00.G04,ndxp.residents.v1.ResidentRegistry,"
    "GetCitizen,PERMISSION_DENIED,40000\n"
    "2024-04-02,000.00.00.G12/tax-lookup,000.00.00.G04,ndxp.residents.v1.ResidentRegistry,"
    "GetCitizen,UNAVAILABLE,25000\n"
    "2024-06-15,000.00.01.B05/benefits,000.00.00.G22,ndxp.insurance.v1.InsuranceRegistry,"
    "GetInsuredPerson,NOT_FOUND,5000\n"
    // Outside both half-years.
    "2022-12-31,000.00.00.G12/tax-lookup,000.00.00.G04,ndxp.residents.v1.ResidentRegistry,"
    "VerifyCitizen,OK,777\n"
    "2024-07-01,000.00.00.G12/tax-lookup,000.00.00.G04,ndxp.residents.v1.ResidentRegistry,"
    "VerifyCitizen,OK,999\n";

constexpr char kHubRefusals[] =
    "INSERT INTO refused_counters (day, consumer, via, provider, service, method, status_code, "
    "count) VALUES ('2024-03-10', '000.00.00.G99/no-grants', '', '000.00.00.G04', "
    "'ndxp.residents.v1.ResidentRegistry', 'GetCitizen', 7, 30000)";

struct Result {
  int code;
  std::string out, err;
};

Result RunNdxpctl(const std::vector<std::string>& args) {
  std::vector<const char*> argv = {"ndxpctl"};
  for (const std::string& arg : args) argv.push_back(arg.c_str());
  std::ostringstream out, err;
  const int code = ndxpctl::Run(static_cast<int>(argv.size()), argv.data(), out, err);
  return {code, out.str(), err.str()};
}

// The sentences operators quote from the 2024H1 report in English.
void ExpectHalfYearHeadlines(const std::string& md) {
  EXPECT_THAT(md, HasSubstr("1,670,000 transactions, up 67.0% on the same period of 2023"));
  EXPECT_THAT(md, HasSubstr("380,000 documents exchanged, 3.80× the same period of 2023"));
}

class ReportTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir();
    const std::string database = dir_->path() + "/hub.db";
    ASSERT_NO_FATAL_FAILURE(StartHub(absl::StrCat("database: \"", database, "\"")));
    std::istringstream csv(kHistory);
    auto imported = gateway::statistics::ImportHistoryCsv(database, csv, "history.csv");
    ASSERT_TRUE(imported.ok()) << imported.status();
    // The hub's own refusals (history has none): 30,000 not granted in March 2024.
    auto db = SqliteDatabase::Open(database);
    ASSERT_TRUE(db.ok()) << db.status();
    ASSERT_TRUE((*db)->Exec(kHubRefusals).ok());
  }

  // A hub recording in DURABLE mode to `store` ("database: ..." or
  // "postgres: ..."), in dir_.
  static void StartHub(const std::string& store) {
    pki_ = new testing::TestPki();
    auto hub_tls = pki_->Issue("hub", "000.00.00.A01", "hub", true);
    auto connector_tls = pki_->Issue("residents", "000.00.00.G04", "residents", true);
    operator_tls_ = new config::v1::TlsFiles(pki_->Issue("operator", "000.00.00.A01", "ops"));
    connector_ = new testing::RecordingConnector(connector_tls);
    const std::string path = dir_->path() + "/hub.textproto";
    std::ofstream(path) << absl::StrCat(testing::HubConfigHead(hub_tls), R"(
      routes { service: "ndxp.residents.v1.ResidentRegistry" provider: "000.00.00.G04"
               endpoint: "127.0.0.1:)", connector_->port(), R"(" }
      operators: "000.00.00.A01/ops"
      recording { mode: DURABLE )", store, R"( time_zone: "UTC" }
      agencies { code: "000.00.00.G04" name_vi: "Cơ sở dữ liệu quốc gia về dân cư"
                 name_en: "National population database" }
    )");
    auto settings = gateway::LoadHubConfig(path);
    ASSERT_TRUE(settings.ok()) << settings.status();
    auto hub = gateway::HubServer::Start(*std::move(settings));
    ASSERT_TRUE(hub.ok()) << hub.status();
    hub_ = hub->release();
  }

  static void TearDownTestSuite() {
    // Nulled: the next suite of this fixture starts its own.
    delete hub_;
    hub_ = nullptr;
    delete connector_;
    connector_ = nullptr;
    delete dir_;
    dir_ = nullptr;
    delete operator_tls_;
    operator_tls_ = nullptr;
    delete pki_;
    pki_ = nullptr;
  }

  static Result Report(std::vector<std::string> extra) {
    std::vector<std::string> args = {
        "report", "--hub", absl::StrCat("127.0.0.1:", hub_->port()), "--ca",
        operator_tls_->ca_cert(), "--cert", operator_tls_->cert(), "--key", operator_tls_->key()};
    args.insert(args.end(), extra.begin(), extra.end());
    return RunNdxpctl(args);
  }

  static std::string Read(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  }

  static testing::TestPki* pki_;
  static config::v1::TlsFiles* operator_tls_;
  static testing::RecordingConnector* connector_;
  static testing::TempDir* dir_;
  static gateway::HubServer* hub_;
};

testing::TestPki* ReportTest::pki_;
config::v1::TlsFiles* ReportTest::operator_tls_;
testing::RecordingConnector* ReportTest::connector_;
testing::TempDir* ReportTest::dir_;
gateway::HubServer* ReportTest::hub_;

TEST_F(ReportTest, VietnameseMarkdownHasTheExactFigures) {
  Result result = Report({"--period", "2024H1", "--lang", "vi", "--format", "md"});
  ASSERT_EQ(result.code, 0) << result.err;
  const std::string& md = result.out;
  EXPECT_THAT(md, HasSubstr("# Báo cáo kết quả chia sẻ, trao đổi dữ liệu: 6 tháng đầu năm 2024\n"));
  EXPECT_THAT(md, HasSubstr("Kỳ báo cáo: 01/01/2024 – 30/06/2024, so với 01/01/2023 – 30/06/2023."));
  EXPECT_THAT(md, HasSubstr("**1.670.000 giao dịch, tăng 67,0% so với cùng kỳ năm 2023.**"));
  EXPECT_THAT(md, HasSubstr(
                      "**380.000 văn bản điện tử được trao đổi, gấp 3,80 lần cùng kỳ năm 2023.**"));
  for (const char* row : {
           "| Số giao dịch | 1.670.000 | 1.000.000 | +67,0% |",
           "| Văn bản điện tử trao đổi | 380.000 | 100.000 | +280,0% |",
           // Shares of the 1,700,000 calls received: the hub's 30,000 refusals too.
           "| Xử lý thành công | 94,4% | 97,0% |  |",
           "| Bị từ chối | 70.000 | 20.000 | +250,0% |",
           "| Lỗi | 25.000 | 10.000 | +150,0% |",
           "| Bên gọi hủy | 0 | 0 | – |",
           // Months: January had nothing a year earlier.
           "| tháng 1 năm 2024 | 600.000 | 0 | mới | 35,9% |",
           "| tháng 4 năm 2024 | 65.000 | 30.000 | +116,7% | 3,9% |",
           // Providers, by the names in the hub's configuration.
           "| Cơ sở dữ liệu quốc gia về dân cư (000.00.00.G04) | 1.135.000 | 830.000 | +36,7% | "
           "68,0% |",
           "| 000.00.00.A02 | 380.000 | 100.000 | +280,0% | 22,8% |",
           "| 000.00.00.G22 | 155.000 | 70.000 | +121,4% | 9,3% |",
           // Consumer agencies: G12's two subsystems summed.
           "| 000.00.00.G12 | 965.000 | 600.000 | +60,8% | 57,8% |",
           "| 000.01.01.H29 | 380.000 | 100.000 | +280,0% | 22,8% |",
           "| 000.00.01.B05 | 325.000 | 300.000 | +8,3% | 19,5% |",
           "| ndxp.residents.v1.ResidentRegistry | 1.135.000 | 830.000 | +36,7% | 68,0% |",
           "| PERMISSION_DENIED | không được cấp quyền | 40.000 | 2,4% | 20.000 |",
           "| PERMISSION_DENIED | nền tảng từ chối: không được cấp quyền | 30.000 | 1,8% | 0 |",
           "| UNAVAILABLE | hệ thống cung cấp không sẵn sàng | 25.000 | 1,5% | 10.000 |",
           "| NOT_FOUND | không tìm thấy dữ liệu | 5.000 | 0,3% | 0 |",
       }) {
    EXPECT_THAT(md, HasSubstr(row));
  }
}

TEST_F(ReportTest, EnglishAndEveryPeriodForm) {
  Result half = Report({"--period", "2024H1", "--lang", "en", "--format", "md"});
  ASSERT_EQ(half.code, 0) << half.err;
  ExpectHalfYearHeadlines(half.out);

  Result quarter = Report({"--period", "2024Q2", "--lang", "en", "--format", "md"});
  ASSERT_EQ(quarter.code, 0) << quarter.err;
  EXPECT_THAT(quarter.out, HasSubstr("# Data exchange report: Q2 2024"));
  // April..June 2024: 40,000 + 25,000 + 380,000 + 150,000 + 5,000; 2023: 30,000 + 100,000 + 70,000.
  EXPECT_THAT(quarter.out, HasSubstr("600,000 transactions, up 200.0% on the same period of 2023"));

  Result month = Report({"--period", "2024-06", "--lang", "vi", "--format", "md"});
  ASSERT_EQ(month.code, 0) << month.err;
  EXPECT_THAT(month.out, HasSubstr("tháng 6 năm 2024"));
  EXPECT_THAT(month.out, HasSubstr("155.000 giao dịch, tăng 121,4% so với cùng kỳ năm 2023"));
  EXPECT_THAT(month.out, HasSubstr("## Số giao dịch theo ngày"));
  EXPECT_THAT(month.out, HasSubstr("| 30/06/2024 | 150.000 | 70.000 | +114,3% |"));

  Result year = Report({"--period", "2024", "--lang", "en", "--format", "md"});
  ASSERT_EQ(year.code, 0) << year.err;
  // 2024 holds 999 more on 1 July; 2023 the same 1,000,000.
  EXPECT_THAT(year.out, HasSubstr("1,670,999 transactions, up 67.1% on the same period of 2023"));
}

TEST_F(ReportTest, AgenciesByTheHubsNamesWithoutAFile) {
  // The hub names G04 only (its configuration's agencies): the others keep their codes.
  Result en = Report({"--period", "2024H1", "--lang", "en", "--format", "md"});
  ASSERT_EQ(en.code, 0) << en.err;
  EXPECT_THAT(en.out,
              HasSubstr("| National population database (000.00.00.G04) | 1,135,000 | 830,000 |"));
  EXPECT_THAT(en.out, HasSubstr("| 000.00.00.G12 | 965,000 |"));
}

TEST_F(ReportTest, AgenciesByNameBesideTheirCodes) {
  // The local federation's names file over the hub's: G22's English name holds a quoted
  // comma; B05 has no name and keeps its code; G04's English name is the file's.
  Result vi = Report({"--period", "2024H1", "--lang", "vi", "--format", "md", "--agency-names",
                      NDXP_AGENCY_NAMES});
  ASSERT_EQ(vi.code, 0) << vi.err;
  EXPECT_THAT(vi.out, HasSubstr("| Cơ sở dữ liệu quốc gia về dân cư (000.00.00.G04) | 1.135.000 |"));
  EXPECT_THAT(vi.out, HasSubstr("| Cơ quan thuế (000.00.00.G12) | 965.000 |"));
  EXPECT_THAT(vi.out, HasSubstr("| 000.00.01.B05 | 325.000 |"));
  Result en = Report({"--period", "2024H1", "--lang", "en", "--format", "md", "--agency-names",
                      NDXP_AGENCY_NAMES});
  ASSERT_EQ(en.code, 0) << en.err;
  EXPECT_THAT(en.out, HasSubstr("| Social insurance, health insurance (000.00.00.G22) | 155,000 |"));
  EXPECT_THAT(en.out, HasSubstr("| Population registry (000.00.00.G04) | 1,135,000 |"));

  const std::string bad = dir_->path() + "/names.csv";
  std::ofstream(bad) << "code,en,vi\n000.00.00.G04,Population registry\n";
  Result refused = Report({"--period", "2024H1", "--agency-names", bad});
  EXPECT_EQ(refused.code, ndxpctl::kExitFailure);
  EXPECT_THAT(refused.err, HasSubstr(bad + ":2: expected code,en,vi (2 fields)"));
}

TEST_F(ReportTest, CsvCarriesEveryFigure) {
  const std::string path = dir_->path() + "/report.csv";
  Result result = Report({"--period", "2024h1", "--format", "csv", "--out", path});
  ASSERT_EQ(result.code, 0) << result.err;
  EXPECT_THAT(result.out, HasSubstr("written to " + path));
  const std::string csv = Read(path);
  EXPECT_THAT(csv, HasSubstr(
                       "section,key,current,baseline,difference,percent_change,multiple\n"
                       "total,2024-01-01..2024-06-30,1670000,1000000,670000,67.0,1.6700\n"
                       "documents,ndxp.documents.v1.DocumentExchange/SendDocument,380000,100000,"
                       "280000,280.0,3.8000\n"
                       "refused,,70000,20000,50000,250.0,3.5000\n"
                       "failed,,25000,10000,15000,150.0,2.5000\n"
                       "cancelled,,0,0,0,,\n"
                       "month,2024-01-01..2024-01-31,600000,0,600000,,\n"
                       "month,2024-02-01..2024-02-29,150000,500000,-350000,-70.0,0.3000\n"));
  EXPECT_THAT(csv, HasSubstr("provider,000.00.00.G04,1135000,830000,305000,36.7,1.3675\n"));
  EXPECT_THAT(csv, HasSubstr("consumer_agency,000.00.00.G12,965000,600000,365000,60.8,1.6083\n"));
  EXPECT_THAT(csv, HasSubstr("service,ndxp.documents.v1.DocumentExchange,380000,100000,280000,"
                             "280.0,3.8000\n"));
  EXPECT_THAT(csv, HasSubstr("status,OK,1600000,970000,630000,64.9,1.6495\n"));
  EXPECT_THAT(csv, HasSubstr("hub_refusal,PERMISSION_DENIED,30000,0,30000,,\n"));
}

TEST_F(ReportTest, HtmlRendersInHeadlessChromium) {
  ASSERT_EQ(std::string(NDXP_CHROMIUM).find("NOTFOUND"), std::string::npos)
      << "chromium not found: run scripts/install-deps";
  for (const char* lang : {"vi", "en"}) {
    SCOPED_TRACE(lang);
    const std::string html = absl::StrCat(dir_->path(), "/report-", lang, ".html");
    Result result = Report(
        {"--period", "2024H1", "--lang", lang, "--out", html, "--agency-names", NDXP_AGENCY_NAMES});
    ASSERT_EQ(result.code, 0) << result.err;
    const std::string page = Read(html);
    EXPECT_THAT(page, HasSubstr(std::string(lang) == "vi"
                                    ? "1.670.000 giao dịch, tăng 67,0% so với cùng kỳ năm 2023"
                                    : "1,670,000 transactions, up 67.0% on the same period of 2023"));

    // Kept under the build directory for people to look at.
    const std::string png = absl::StrCat(NDXP_SCREENSHOT_DIR, "/report-2024H1-", lang, ".png");
    const std::string command = absl::StrCat(
        NDXP_CHROMIUM, " --headless --no-sandbox --disable-gpu --hide-scrollbars ",
        "--user-data-dir=", dir_->path(), "/chromium-", lang, " --window-size=900,2500 ",
        "--screenshot=", png, " file://", html, " >", dir_->path(), "/chromium.log 2>&1");
    ASSERT_EQ(system(command.c_str()), 0) << command << "\n" << Read(dir_->path() + "/chromium.log");
    absl::StatusOr<testing::PngImage> image = testing::ReadPng(png);
    ASSERT_TRUE(image.ok()) << image.status();
    EXPECT_EQ(image->width, 900);
    EXPECT_EQ(image->height, 2500);
    // What the browser drew: the header band, this year's bars and last year's, and the
    // outcome bar's three colours.
    EXPECT_GT(image->CountPixels(0x12, 0x32, 0x5c), 900 * 60);  // header
    EXPECT_GT(image->CountPixels(0x1f, 0x4e, 0x8c), 20000);     // this period's bars
    EXPECT_GT(image->CountPixels(0xa9, 0xb8, 0xcc), 10000);     // the same period's
    EXPECT_GT(image->CountPixels(0x2e, 0x7d, 0x4f), 5000);      // answered
    EXPECT_GT(image->CountPixels(0xd0, 0x8a, 0x1a), 100);       // refused
    EXPECT_GT(image->CountPixels(0xb3, 0x26, 0x1e), 50);        // failed
  }
}

TEST_F(ReportTest, ClearErrors) {
  Result bad_period = Report({"--period", "2024H3"});
  EXPECT_EQ(bad_period.code, ndxpctl::kExitUsage);
  EXPECT_THAT(bad_period.err, HasSubstr("period \"2024H3\" is not one of"));
  Result bad_lang = Report({"--period", "2024H1", "--lang", "fr"});
  EXPECT_EQ(bad_lang.code, ndxpctl::kExitUsage);
  EXPECT_THAT(bad_lang.err, HasSubstr("unknown language \"fr\" (expected en or vi)"));
  Result bad_format = Report({"--period", "2024H1", "--format", "pdf"});
  EXPECT_EQ(bad_format.code, ndxpctl::kExitUsage);
  EXPECT_THAT(bad_format.err, HasSubstr("unknown format \"pdf\" (expected html, md or csv)"));
  Result no_period = Report({});
  EXPECT_EQ(no_period.code, ndxpctl::kExitUsage);
  EXPECT_THAT(no_period.err, HasSubstr("--period is required"));
  Result unwritable = Report({"--period", "2024H1", "--out", "/nonexistent/dir/r.html"});
  EXPECT_EQ(unwritable.code, ndxpctl::kExitFailure);
  EXPECT_THAT(unwritable.err, HasSubstr("cannot write /nonexistent/dir/r.html"));
}

// The same history imported with `ndxpctl stats import --postgres` into the
// PostgreSQL database a hub replica records to (NDXP_TEST_POSTGRES; without
// it the case skips): the same figures as from SQLite.
class ReportPostgresTest : public ReportTest {
 protected:
  static void SetUpTestSuite() {
    base_ = new std::string(gateway::testing::TestServer());
    if (base_->empty()) return;
    database_ = new std::string(absl::StrCat("ndxp_report_", getpid()));
    gateway::testing::ExecSql(*base_, "DROP DATABASE IF EXISTS " + *database_ + " WITH (FORCE)");
    gateway::testing::ExecSql(*base_, "CREATE DATABASE " + *database_);
    const std::string conninfo = gateway::testing::WithDatabase(*base_, *database_);
    dir_ = new testing::TempDir();
    ASSERT_NO_FATAL_FAILURE(
        StartHub(absl::StrCat("postgres: \"", conninfo, "\" replica: \"hub-1\"")));
    const std::string csv = dir_->path() + "/history.csv";
    std::ofstream(csv) << kHistory;
    Result imported = RunNdxpctl({"stats", "import", "--postgres", conninfo, "--csv", csv});
    ASSERT_EQ(imported.code, 0) << imported.err;
  }

  static void TearDownTestSuite() {
    ReportTest::TearDownTestSuite();
    if (database_ != nullptr) {
      gateway::testing::ExecSql(*base_, "DROP DATABASE IF EXISTS " + *database_ + " WITH (FORCE)");
    }
    delete database_;
    delete base_;
  }

  void SetUp() override {
    if (base_->empty()) GTEST_SKIP() << "NDXP_TEST_POSTGRES is not set: run under scripts/with-postgres";
  }

  static std::string* base_;
  static std::string* database_;
};

std::string* ReportPostgresTest::base_;
std::string* ReportPostgresTest::database_;

TEST_F(ReportPostgresTest, TheSameFiguresAsFromSqlite) {
  Result half = Report({"--period", "2024H1", "--lang", "en", "--format", "md"});
  ASSERT_EQ(half.code, 0) << half.err;
  ExpectHalfYearHeadlines(half.out);
  Result vi = Report({"--period", "2024H1", "--lang", "vi", "--format", "md"});
  ASSERT_EQ(vi.code, 0) << vi.err;
  EXPECT_THAT(vi.out, HasSubstr("**1.670.000 giao dịch, tăng 67,0% so với cùng kỳ năm 2023.**"));
  EXPECT_THAT(vi.out, HasSubstr("| 000.00.00.G12 | 965.000 | 600.000 | +60,8% | 57,8% |"));
}

}  // namespace
}  // namespace ndxp
