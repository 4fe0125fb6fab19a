// Counter sums from the PostgreSQL database several hub replicas write.
#ifndef NDXP_GATEWAY_STATISTICS_POSTGRES_COUNTER_READER_H_
#define NDXP_GATEWAY_STATISTICS_POSTGRES_COUNTER_READER_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "gateway/statistics/counter_reader.h"

typedef struct pg_conn PGconn;

namespace ndxp::gateway::statistics {

// Thread-safe: one connection, one query at a time.
class PostgresCounterReader final : public CounterReader {
 public:
  // UNAVAILABLE when the database cannot be reached.
  static absl::StatusOr<std::unique_ptr<PostgresCounterReader>> Open(const std::string& conninfo);
  ~PostgresCounterReader() override;

  absl::StatusOr<std::vector<CounterRow>> Sum(absl::CivilDay from, absl::CivilDay to,
                                               const std::vector<hub::v1::Dimension>& group_by,
                                               hub::v1::Calls calls,
                                               std::optional<Door> door) override;

 private:
  PostgresCounterReader(std::string conninfo, PGconn* connection)
      : conninfo_(std::move(conninfo)), connection_(connection) {}

  const std::string conninfo_;
  absl::Mutex mu_;
  PGconn* connection_ ABSL_GUARDED_BY(mu_);
};

}  // namespace ndxp::gateway::statistics

#endif  // NDXP_GATEWAY_STATISTICS_POSTGRES_COUNTER_READER_H_
