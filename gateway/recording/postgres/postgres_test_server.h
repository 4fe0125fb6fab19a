// Test helpers for a real PostgreSQL server: NDXP_TEST_POSTGRES is a libpq
// connection string whose role may create databases (scripts/with-postgres
// provides one). Used by the store conformance suite and the PostgreSQL
// store's own tests.
#ifndef NDXP_GATEWAY_RECORDING_POSTGRES_POSTGRES_TEST_SERVER_H_
#define NDXP_GATEWAY_RECORDING_POSTGRES_POSTGRES_TEST_SERVER_H_

#include <string>
#include <vector>

namespace ndxp::gateway::testing {

using Rows = std::vector<std::vector<std::string>>;

// $NDXP_TEST_POSTGRES, or "" when it is not set.
std::string TestServer();

// Runs `sql` (one or more statements) and returns the last one's rows as
// text; a failure is a test failure (EXPECT).
Rows Query(const std::string& conninfo, const std::string& sql);
inline void ExecSql(const std::string& conninfo, const std::string& sql) { Query(conninfo, sql); }

// `conninfo` (a string or a URI) with its dbname replaced by `dbname`.
std::string WithDatabase(const std::string& conninfo, const std::string& dbname);

// A database name for the running test and `suffix`: at most 63 bytes, a
// readable prefix and a hash of the rest, [a-z0-9_] only.
std::string DatabaseNameForTest(const std::string& suffix);

}  // namespace ndxp::gateway::testing

#endif  // NDXP_GATEWAY_RECORDING_POSTGRES_POSTGRES_TEST_SERVER_H_
