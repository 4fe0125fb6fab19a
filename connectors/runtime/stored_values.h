// How the connectors' SQLite stores keep wire values: dates as
// 'YYYY-MM-DD' text (sortable, readable with the sqlite3 shell), and empty
// optional strings as NULL. One definition for every store.
//
// Example:
//   NDXP_RETURN_IF_ERROR(insert.BindAll(DateText(c.date_of_birth()),
//                                       NonEmpty(c.father_personal_id())));
//   NDXP_ASSIGN_OR_RETURN(*c.mutable_date_of_birth(), ParseDateText(column_text));
#ifndef NDXP_CONNECTORS_RUNTIME_STORED_VALUES_H_
#define NDXP_CONNECTORS_RUNTIME_STORED_VALUES_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "ndxp/residents/v1/residents.pb.h"

namespace ndxp::connectors {

// "2024-02-29".
std::string DateText(const ndxp::residents::v1::Date& date);

// The inverse of DateText. INTERNAL "corrupt date in database" for anything
// else: the store wrote the value, so a bad one is damage, not bad input.
absl::StatusOr<ndxp::residents::v1::Date> ParseDateText(absl::string_view text);

// NULL (nullopt) for an empty string, for optional columns.
std::optional<std::string> NonEmpty(const std::string& s);

}  // namespace ndxp::connectors

#endif  // NDXP_CONNECTORS_RUNTIME_STORED_VALUES_H_
