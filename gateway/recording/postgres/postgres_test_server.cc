#include "gateway/recording/postgres/postgres_test_server.h"

#include <libpq-fe.h>

#include <cstdlib>
#include <functional>
#include <memory>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "gtest/gtest.h"

namespace ndxp::gateway::testing {
namespace {

struct FinishConn {
  void operator()(PGconn* conn) const { PQfinish(conn); }
};
using Conn = std::unique_ptr<PGconn, FinishConn>;

}  // namespace

std::string TestServer() {
  const char* server = std::getenv("NDXP_TEST_POSTGRES");
  return server == nullptr ? "" : server;
}

Rows Query(const std::string& conninfo, const std::string& sql) {
  Rows rows;
  Conn conn(PQconnectdb(conninfo.c_str()));
  EXPECT_EQ(PQstatus(conn.get()), CONNECTION_OK) << PQerrorMessage(conn.get());
  if (PQstatus(conn.get()) != CONNECTION_OK) return rows;
  // "... does not exist, skipping" and the like: not worth the test log.
  PQsetNoticeProcessor(
      conn.get(), [](void*, const char*) {}, nullptr);
  PGresult* result = PQexec(conn.get(), sql.c_str());
  const ExecStatusType status = PQresultStatus(result);
  EXPECT_TRUE(status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK)
      << sql << ": " << PQresultErrorMessage(result);
  for (int row = 0; row < PQntuples(result); ++row) {
    std::vector<std::string> values;
    for (int column = 0; column < PQnfields(result); ++column) {
      values.emplace_back(PQgetvalue(result, row, column));
    }
    rows.push_back(std::move(values));
  }
  PQclear(result);
  return rows;
}

std::string WithDatabase(const std::string& conninfo, const std::string& dbname) {
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(conninfo.c_str(), &error);
  EXPECT_NE(options, nullptr) << (error != nullptr ? error : "");
  PQfreemem(error);
  std::string out;
  for (PQconninfoOption* o = options; o != nullptr && o->keyword != nullptr; ++o) {
    if (o->val == nullptr || std::string(o->keyword) == "dbname") continue;
    absl::StrAppend(&out, o->keyword, "='",
                    absl::StrReplaceAll(o->val, {{"\\", "\\\\"}, {"'", "\\'"}}), "' ");
  }
  PQconninfoFree(options);
  absl::StrAppend(&out, "dbname=", dbname);
  return out;
}

std::string DatabaseNameForTest(const std::string& suffix) {
  const ::testing::TestInfo* test = ::testing::UnitTest::GetInstance()->current_test_info();
  const std::string full_name =
      absl::StrCat(test->test_suite_name(), ".", test->name(), "/", suffix);
  std::string name = absl::StrFormat(
      "ndxp_t_%s_%06x", absl::AsciiStrToLower(std::string(test->name()).substr(0, 40)),
      std::hash<std::string>()(full_name) & 0xffffff);
  for (char& c : name) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return name;
}

}  // namespace ndxp::gateway::testing
