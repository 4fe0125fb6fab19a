#include "tools/ndxpctl/output_format.h"

#include <algorithm>

#include <google/protobuf/util/json_util.h>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace ndxp::ndxpctl {
namespace {

namespace v1 = ::ndxp::hub::v1;

std::string DayText(const v1::Day& day) {
  return absl::StrFormat("%04d-%02d-%02d", day.year(), day.month(), day.day());
}

std::string PeriodText(const v1::ResolvedPeriod& period) {
  return absl::StrCat(DayText(period.from()), " .. ", DayText(period.to()));
}

// What a headline says after the period of a request's door: nothing for
// every door.
std::string DoorText(absl::string_view door) {
  return door.empty() ? "" : absl::StrCat(" (door ", door, ")");
}

std::vector<std::string> KeyHeader(const google::protobuf::RepeatedField<int>& group_by) {
  std::vector<std::string> header;
  for (int d : group_by) header.push_back(v1::Dimension_Name(static_cast<v1::Dimension>(d)));
  return header;
}

bool NamesAgencies(int dimension) {
  return dimension == v1::CONSUMER || dimension == v1::PROVIDER || dimension == v1::VIA;
}

// Which key columns get a NAME column beside them in a table: those of
// agencies of which some row's agency is named.
template <typename Rows>
std::vector<bool> NamedColumns(const google::protobuf::RepeatedField<int>& group_by,
                               const Rows& rows, const AgencyLabels& names,
                               OutputFormat format) {
  std::vector<bool> named(static_cast<size_t>(group_by.size()), false);
  if (names.directory == nullptr || format != OutputFormat::kTable) return named;
  for (int i = 0; i < group_by.size(); ++i) {
    if (!NamesAgencies(group_by[i])) continue;
    for (const auto& row : rows) {
      if (i < row.key_size() && names.directory->Find(row.key(i)) != nullptr) {
        named[static_cast<size_t>(i)] = true;
        break;
      }
    }
  }
  return named;
}

// `cells` (one per key column) with the NAME cells inserted after the named
// columns: the agency's name (`header`: "NAME"; `total`: "").
std::vector<std::string> WithNames(std::vector<std::string> cells, const std::vector<bool>& named,
                                   const AgencyLabels& names, bool header, bool total) {
  std::vector<std::string> out;
  for (size_t i = 0; i < cells.size(); ++i) {
    out.push_back(cells[i]);
    if (i < named.size() && named[i]) {
      out.push_back(header  ? std::string("NAME")
                    : total ? std::string()
                            : names.directory->Name(cells[i], names.language));
    }
  }
  return out;
}

// Characters of UTF-8 `text` (code points), for aligning columns.
size_t Width(const std::string& text) {
  size_t width = 0;
  for (char c : text) width += (static_cast<unsigned char>(c) & 0xC0) != 0x80 ? 1 : 0;
  return width;
}

// A row's key cells under KeyHeader. In a table a direct call's empty VIA
// shows as "-", so that the column is never blank; CSV and JSON keep "".
std::vector<std::string> KeyCells(const google::protobuf::RepeatedField<int>& group_by,
                                  const google::protobuf::RepeatedPtrField<std::string>& key,
                                  OutputFormat format) {
  std::vector<std::string> cells(key.begin(), key.end());
  for (size_t i = 0; i < cells.size() && i < static_cast<size_t>(group_by.size()); ++i) {
    if (format == OutputFormat::kTable && group_by[static_cast<int>(i)] == v1::VIA &&
        cells[i].empty()) {
      cells[i] = kDirectCall;
    }
  }
  return cells;
}

// The key cells of the total row: "TOTAL" under the first key column.
std::vector<std::string> TotalKey(size_t key_columns) {
  std::vector<std::string> key(key_columns);
  if (!key.empty()) key[0] = "TOTAL";
  return key;
}

// Every field, zeros and empty lists included, so a program reading the JSON
// always finds the total.
std::string Json(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.always_print_primitive_fields = true;
  std::string json;
  (void)google::protobuf::util::MessageToJsonString(message, &json, options);
  return json + "\n";
}

std::string Count(int64_t value, OutputFormat format) {
  return format == OutputFormat::kTable ? WithThousandsSeparators(value) : absl::StrCat(value);
}

// CURRENT, BASELINE, DIFFERENCE, PERCENT, MULTIPLE after the key.
std::vector<std::string> GrowthCells(std::vector<std::string> key, const v1::GrowthRow& row,
                                     OutputFormat format) {
  std::vector<std::string> cells = std::move(key);
  cells.push_back(Count(row.current(), format));
  cells.push_back(Count(row.baseline(), format));
  cells.push_back(format == OutputFormat::kTable
                      ? SignedWithThousandsSeparators(row.difference())
                      : absl::StrCat(row.difference() >= 0 ? "+" : "", row.difference()));
  if (row.defined()) {
    cells.push_back(absl::StrFormat("%+.1f%%", row.percent_change()));
    cells.push_back(absl::StrFormat("%.2fx", row.multiple()));
  } else {
    cells.push_back("undefined");
    cells.push_back(row.undefined_reason());
  }
  return cells;
}

std::string RenderRows(const Table& table, OutputFormat format) {
  return format == OutputFormat::kCsv ? RenderCsv(table) : RenderAligned(table);
}

}  // namespace

absl::StatusOr<OutputFormat> ParseOutputFormat(absl::string_view name) {
  if (name == "table") return OutputFormat::kTable;
  if (name == "csv") return OutputFormat::kCsv;
  if (name == "json") return OutputFormat::kJson;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown format \"", name, "\" (expected table, csv or json)"));
}

std::string WithThousandsSeparators(int64_t value, char separator) {
  // Digits of the magnitude, computed unsigned so INT64_MIN has one too.
  uint64_t magnitude = value < 0 ? 0 - static_cast<uint64_t>(value) : static_cast<uint64_t>(value);
  std::string digits = absl::StrCat(magnitude);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out.push_back(separator);
    out.push_back(digits[i]);
  }
  return value < 0 ? "-" + out : out;
}

std::string SignedWithThousandsSeparators(int64_t value) {
  return value < 0 ? WithThousandsSeparators(value) : "+" + WithThousandsSeparators(value);
}

std::string DescribeStatus(const grpc::Status& status) {
  return absl::StrCat(
      absl::StatusCodeToString(static_cast<absl::StatusCode>(status.error_code())), ": ",
      status.error_message());
}

std::string RenderAligned(const Table& table) {
  std::vector<size_t> width(table.header.size());
  for (size_t c = 0; c < table.header.size(); ++c) {
    width[c] = Width(table.header[c]);
    for (const auto& row : table.rows) width[c] = std::max(width[c], Width(row[c]));
  }
  std::string out;
  auto line = [&](const std::vector<std::string>& cells) {
    std::string text;
    for (size_t c = 0; c < cells.size(); ++c) {
      std::string padding(width[c] - Width(cells[c]), ' ');
      if (c > 0) text += "  ";
      text += c >= table.first_number_column ? padding + cells[c] : cells[c] + padding;
    }
    text.erase(text.find_last_not_of(' ') + 1);
    absl::StrAppend(&out, text, "\n");
  };
  line(table.header);
  for (const auto& row : table.rows) line(row);
  return out;
}

std::string RenderCsv(const Table& table) {
  auto field = [](std::string* out, const std::string& cell) {
    if (cell.find_first_of(",\"\r\n") == std::string::npos) {
      out->append(cell);
      return;
    }
    out->push_back('"');
    for (char c : cell) {
      if (c == '"') out->push_back('"');
      out->push_back(c);
    }
    out->push_back('"');
  };
  std::string out = absl::StrCat(absl::StrJoin(table.header, ",", field), "\n");
  for (const auto& row : table.rows) absl::StrAppend(&out, absl::StrJoin(row, ",", field), "\n");
  return out;
}

std::string RenderCount(const v1::CountRequest& request, const v1::CountResponse& response,
                        OutputFormat format, const AgencyLabels& names) {
  if (format == OutputFormat::kJson) return Json(response);
  const std::vector<bool> named = NamedColumns(request.group_by(), response.rows(), names, format);
  Table table;
  table.header = WithNames(KeyHeader(request.group_by()), named, names, true, false);
  table.first_number_column = table.header.size();
  table.header.push_back("COUNT");
  for (const auto& row : response.rows()) {
    std::vector<std::string> cells =
        WithNames(KeyCells(request.group_by(), row.key(), format), named, names, false, false);
    cells.push_back(Count(row.count(), format));
    table.rows.push_back(std::move(cells));
  }
  std::vector<std::string> total = TotalKey(table.first_number_column);
  total.push_back(Count(response.total(), format));
  table.rows.push_back(std::move(total));
  if (format == OutputFormat::kCsv) return RenderCsv(table);

  std::string out = absl::StrCat(request.calls() == v1::REFUSED_BY_HUB ? "Refused by the hub "
                                                                     : "Transactions ",
                                 PeriodText(response.period()), DoorText(request.door()), ": ",
                                 WithThousandsSeparators(response.total()), "\n");
  if (request.group_by().empty()) return out;  // the headline says it all
  return absl::StrCat(out, "\n", RenderRows(table, format));
}

std::string RenderGrowth(const v1::GrowthRequest& request, const v1::GrowthResponse& response,
                         OutputFormat format, const AgencyLabels& names) {
  if (format == OutputFormat::kJson) return Json(response);
  const std::vector<bool> named = NamedColumns(request.group_by(), response.rows(), names, format);
  Table table;
  table.header = WithNames(KeyHeader(request.group_by()), named, names, true, false);
  table.first_number_column = table.header.size();
  for (const char* h : {"CURRENT", "BASELINE", "DIFFERENCE", "PERCENT", "MULTIPLE"}) {
    table.header.push_back(h);
  }
  for (const auto& row : response.rows()) {
    table.rows.push_back(GrowthCells(
        WithNames(KeyCells(request.group_by(), row.key(), format), named, names, false, false),
        row, format));
  }
  table.rows.push_back(GrowthCells(TotalKey(table.first_number_column), response.total(), format));
  if (format == OutputFormat::kCsv) return RenderCsv(table);

  std::vector<std::string> total = GrowthCells({}, response.total(), format);
  std::string out =
      absl::StrCat(PeriodText(response.period()), DoorText(request.door()), " against ",
                   PeriodText(response.baseline_period()), ": ", total[0], " vs ", total[1],
                   ", ", total[3], ", ", total[4], "\n");
  if (request.group_by().empty()) return out;
  return absl::StrCat(out, "\n", RenderRows(table, format));
}

std::string RenderAgencies(const v1::ListAgenciesResponse& response, OutputFormat format) {
  if (format == OutputFormat::kJson) return Json(response);
  Table table;
  // CSV as `--agency-names FILE` reads it.
  table.header = format == OutputFormat::kCsv ? std::vector<std::string>{"code", "en", "vi"}
                                              : std::vector<std::string>{"CODE", "ENGLISH",
                                                                         "VIETNAMESE"};
  table.first_number_column = table.header.size();
  for (const v1::Agency& agency : response.agencies()) {
    table.rows.push_back({agency.code(), agency.name_en(), agency.name_vi()});
  }
  return RenderRows(table, format);
}

}  // namespace ndxp::ndxpctl
