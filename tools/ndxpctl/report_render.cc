#include "tools/ndxpctl/report_render.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "gateway/statistics/outcomes.h"
#include "gateway/statistics/periods.h"
#include "gateway/statistics/statistics_engine.h"
#include "tools/ndxpctl/output_format.h"
#include "tools/ndxpctl/svg_chart.h"

namespace ndxp::ndxpctl {
namespace {

namespace v1 = ::ndxp::hub::v1;
using ::ndxp::gateway::statistics::MakeGrowthRow;

constexpr char kCurrentColor[] = "#1f4e8c";
constexpr char kBaselineColor[] = "#a9b8cc";
constexpr char kAnsweredColor[] = "#2e7d4f";
constexpr char kRefusedColor[] = "#d08a1a";
constexpr char kFailedColor[] = "#b3261e";
constexpr char kCancelledColor[] = "#8a94a6";

using ::ndxp::gateway::statistics::Outcome;
using ::ndxp::gateway::statistics::OutcomeCounts;
using ::ndxp::gateway::statistics::OutcomeOf;

const char* OutcomeColor(Outcome outcome) {
  switch (outcome) {
    case Outcome::kAnswered:
      return kAnsweredColor;
    case Outcome::kRefused:
      return kRefusedColor;
    case Outcome::kFailed:
      return kFailedColor;
    case Outcome::kCancelled:
      return kCancelledColor;
  }
  return kFailedColor;
}

// The figures every format shows besides the tables: the calls the hub
// received (its transactions and the calls it refused itself) by outcome,
// one classification for all (gateway/statistics/outcomes.h).
struct Summary {
  int baseline_year = 0;
  OutcomeCounts current, baseline;
  v1::GrowthRow Of(Outcome outcome) const {
    return MakeGrowthRow(current[outcome], baseline[outcome]);
  }
  int64_t calls() const { return current.calls(); }
};

Summary Summarize(const ReportData& data) {
  Summary summary;
  summary.baseline_year = data.baseline_period.from().year();
  for (const ReportRow& row : data.statuses) {
    summary.current.Add(v1::FORWARDED, row.key, row.growth.current());
    summary.baseline.Add(v1::FORWARDED, row.key, row.growth.baseline());
  }
  for (const ReportRow& row : data.hub_refusals) {
    summary.current.Add(v1::REFUSED_BY_HUB, row.key, row.growth.current());
    summary.baseline.Add(v1::REFUSED_BY_HUB, row.key, row.growth.baseline());
  }
  return summary;
}

// The first `n` rows, and the others summed into one row when there are any.
std::vector<ReportRow> TopWithOthers(const std::vector<ReportRow>& rows, size_t n,
                                     const ReportLocale& locale) {
  if (rows.size() <= n) return rows;
  std::vector<ReportRow> top(rows.begin(), rows.begin() + static_cast<std::ptrdiff_t>(n));
  int64_t current = 0, baseline = 0;
  for (size_t i = n; i < rows.size(); ++i) {
    current += rows[i].growth.current();
    baseline += rows[i].growth.baseline();
  }
  top.push_back({locale.Others(static_cast<int>(rows.size() - n)),
                 MakeGrowthRow(current, baseline)});
  return top;
}

// Every status but OK, of the forwarded calls and of the hub's own
// refusals, by outcome (refused, failed, cancelled, then the other answers)
// and then as the hub sorted them (largest first).
struct OutcomeRow {
  Outcome outcome;
  bool by_hub;  // a call the hub refused itself
  const ReportRow* row;
};

std::vector<OutcomeRow> OutcomeRows(const ReportData& data) {
  std::vector<OutcomeRow> rows;
  for (const ReportRow& row : data.hub_refusals) {
    rows.push_back({OutcomeOf(v1::REFUSED_BY_HUB, row.key), true, &row});
  }
  for (const ReportRow& row : data.statuses) {
    if (row.key != "OK") rows.push_back({OutcomeOf(v1::FORWARDED, row.key), false, &row});
  }
  auto rank = [](Outcome outcome) {
    switch (outcome) {
      case Outcome::kRefused:
        return 0;
      case Outcome::kFailed:
        return 1;
      case Outcome::kCancelled:
        return 2;
      case Outcome::kAnswered:
        return 3;
    }
    return 4;
  };
  std::stable_sort(rows.begin(), rows.end(), [&](const OutcomeRow& a, const OutcomeRow& b) {
    return rank(a.outcome) < rank(b.outcome);
  });
  return rows;
}

std::string Meaning(const OutcomeRow& row, const ReportLocale& locale) {
  return row.by_hub ? locale.HubRefusalMeaning(row.row->key) : locale.StatusMeaning(row.row->key);
}

std::string TrendLabel(const TrendPoint& point, bool by_day, const ReportLocale& locale) {
  if (by_day) return absl::StrCat(point.period.from().day());
  return locale.MonthShort(point.period.from().month());
}

// "ResidentRegistry" of "ndxp.residents.v1.ResidentRegistry".
std::string ShortService(const std::string& service) {
  const size_t dot = service.rfind('.');
  return dot == std::string::npos ? service : service.substr(dot + 1);
}

// `text` cut to `max` characters (UTF-8 code points) with "…" when longer.
std::string Abbreviated(const std::string& text, size_t max) {
  size_t characters = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) == 0x80) continue;  // continuation byte
    if (++characters > max) return text.substr(0, i) + "…";
  }
  return text;
}

std::string Title(const ReportData& data, const ReportLocale& locale) {
  std::string name = locale.PeriodName(data.kind, data.period);
  if (!name.empty() && name[0] >= 'a' && name[0] <= 'z' &&
      locale.language() == Language::kEnglish) {
    name[0] = static_cast<char>(name[0] - 'a' + 'A');
  }
  return name;
}

std::string PeriodLine(const ReportData& data, const ReportLocale& locale) {
  return absl::StrCat(locale.labels().period, ": ", locale.Range(data.period), ", ",
                      locale.labels().compared_with, " ", locale.Range(data.baseline_period));
}

// ---- Markdown

std::string MdCell(absl::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '|') out += "\\";
    out.push_back(c);
  }
  return out;
}

std::string MdTable(const std::vector<std::string>& header,
                    const std::vector<std::vector<std::string>>& rows, size_t first_number) {
  std::string out = absl::StrCat("| ", absl::StrJoin(header, " | "), " |\n|");
  for (size_t c = 0; c < header.size(); ++c) out += c >= first_number ? "---:|" : "---|";
  out += "\n";
  for (const auto& row : rows) {
    std::vector<std::string> cells;
    for (const std::string& cell : row) cells.push_back(MdCell(cell));
    absl::StrAppend(&out, "| ", absl::StrJoin(cells, " | "), " |\n");
  }
  return out;
}

std::vector<std::string> GrowthCells(const std::string& key, const v1::GrowthRow& row,
                                     const ReportLocale& locale, int64_t whole) {
  return {key, locale.Count(row.current()), locale.Count(row.baseline()), locale.Change(row),
          locale.ShareOf(row.current(), whole)};
}

std::vector<std::string> GrowthHeader(const std::string& first, const ReportLocale& locale,
                                      int baseline_year) {
  const ReportLabels& l = locale.labels();
  return {first, l.this_period, locale.SamePeriodOf(baseline_year), l.change, l.share};
}

std::string Markdown(const ReportData& data, const ReportLocale& locale,
                     absl::CivilDay generated_on) {
  const ReportLabels& l = locale.labels();
  const Summary s = Summarize(data);
  const int64_t whole = data.total.current();
  std::string out = absl::StrCat("# ", l.title, ": ", locale.PeriodName(data.kind, data.period),
                                 "\n\n", PeriodLine(data, locale), ".\n\n**",
                                 locale.Headline(data.total, s.baseline_year), ".**\n\n**",
                                 locale.DocumentsSentence(data.documents, s.baseline_year),
                                 ".**\n\n");

  absl::StrAppend(&out, "## ", l.summary, "\n\n");
  std::vector<std::vector<std::string>> summary = {
      {l.transactions, locale.Count(data.total.current()), locale.Count(data.total.baseline()),
       locale.Change(data.total)},
      {l.documents, locale.Count(data.documents.current()),
       locale.Count(data.documents.baseline()), locale.Change(data.documents)},
      {l.success_rate, locale.ShareOf(s.current[Outcome::kAnswered], s.current.calls()),
       locale.ShareOf(s.baseline[Outcome::kAnswered], s.baseline.calls()), ""},
  };
  for (auto [label, outcome] : {std::pair{l.refusals, Outcome::kRefused},
                                std::pair{l.errors, Outcome::kFailed},
                                std::pair{l.cancelled, Outcome::kCancelled}}) {
    const v1::GrowthRow row = s.Of(outcome);
    summary.push_back(
        {label, locale.Count(row.current()), locale.Count(row.baseline()), locale.Change(row)});
  }
  absl::StrAppend(&out,
                  MdTable({"", l.this_period, locale.SamePeriodOf(s.baseline_year), l.change},
                          summary, 1),
                  "\n");

  auto section = [&](const char* heading, const std::string& first,
                     const std::vector<ReportRow>& rows) {
    absl::StrAppend(&out, "## ", heading, "\n\n");
    if (rows.empty()) {
      absl::StrAppend(&out, l.no_transactions, "\n\n");
      return;
    }
    std::vector<std::vector<std::string>> cells;
    for (const ReportRow& row : rows) {
      const std::string key =
          row.label.empty() ? row.key : absl::StrCat(row.label, " (", row.key, ")");
      cells.push_back(GrowthCells(key, row.growth, locale, whole));
    }
    absl::StrAppend(&out, MdTable(GrowthHeader(first, locale, s.baseline_year), cells, 1), "\n");
  };

  std::vector<ReportRow> trend;
  for (const TrendPoint& point : data.trend) {
    trend.push_back({data.trend_by_day ? locale.Date(point.period.from())
                                       : locale.PeriodName(v1::Period::MONTH, point.period),
                     point.growth});
  }
  section(data.trend_by_day ? l.by_day : l.by_month, data.trend_by_day ? l.day : l.month, trend);
  section(l.by_provider, l.agency, data.providers);
  section(l.by_consumer, l.agency, TopWithOthers(data.consumers, kTopConsumers, locale));
  section(l.top_services, l.service, TopWithOthers(data.services, kTopServices, locale));

  absl::StrAppend(&out, "## ", l.outcomes, "\n\n");
  std::vector<std::vector<std::string>> failures;
  for (const OutcomeRow& row : OutcomeRows(data)) {
    const v1::GrowthRow& growth = row.row->growth;
    failures.push_back({row.row->key, Meaning(row, locale), locale.Count(growth.current()),
                        locale.ShareOf(growth.current(), s.calls()),
                        locale.Count(growth.baseline())});
  }
  if (failures.empty()) {
    absl::StrAppend(&out, l.no_transactions, "\n\n");
  } else {
    absl::StrAppend(&out,
                    MdTable({l.status, l.meaning, l.this_period, l.share,
                             locale.SamePeriodOf(s.baseline_year)},
                            failures, 2),
                    "\n");
  }
  absl::StrAppend(&out, "## ", l.notes, "\n\n- ", l.note_transaction, "\n- ", l.note_outcomes,
                  "\n- ", l.note_documents,
                  data.hub_refusals_known ? "" : absl::StrCat("\n- ", l.note_no_hub_refusals),
                  "\n\n_", l.generated, ", ",
                  locale.Date(gateway::statistics::ToProtoDay(generated_on)), "._\n");
  return out;
}

// ---- CSV

std::string Csv(const ReportData& data) {
  Table table;
  table.header = {"section", "key", "current", "baseline", "difference", "percent_change",
                  "multiple"};
  table.first_number_column = 2;
  auto add = [&](const std::string& section, const std::string& key, const v1::GrowthRow& row) {
    table.rows.push_back({section, key, absl::StrCat(row.current()), absl::StrCat(row.baseline()),
                          absl::StrCat(row.difference()),
                          row.defined() ? absl::StrFormat("%.1f", row.percent_change()) : "",
                          row.defined() ? absl::StrFormat("%.4f", row.multiple()) : ""});
  };
  auto range = [](const v1::ResolvedPeriod& p) {
    return absl::StrFormat("%04d-%02d-%02d..%04d-%02d-%02d", p.from().year(), p.from().month(),
                           p.from().day(), p.to().year(), p.to().month(), p.to().day());
  };
  const Summary s = Summarize(data);
  add("total", range(data.period), data.total);
  add("documents", kSendDocumentMethod, data.documents);
  add("refused", "", s.Of(Outcome::kRefused));
  add("failed", "", s.Of(Outcome::kFailed));
  add("cancelled", "", s.Of(Outcome::kCancelled));
  for (const TrendPoint& point : data.trend) {
    add(data.trend_by_day ? "day" : "month", range(point.period), point.growth);
  }
  for (const ReportRow& row : data.providers) add("provider", row.key, row.growth);
  for (const ReportRow& row : data.consumers) add("consumer_agency", row.key, row.growth);
  for (const ReportRow& row : data.services) add("service", row.key, row.growth);
  for (const ReportRow& row : data.statuses) add("status", row.key, row.growth);
  for (const ReportRow& row : data.hub_refusals) add("hub_refusal", row.key, row.growth);
  return RenderCsv(table);
}

// ---- HTML

constexpr char kStyle[] = R"css(
  @page { size: A4; margin: 14mm; }
  body { margin: 0; background: #eef1f5; color: #1d2a3b;
         font-family: "DejaVu Sans", Arial, sans-serif; font-size: 13px; line-height: 1.45; }
  main { max-width: 860px; margin: 0 auto; background: #fff; }
  header { background: #12325c; color: #fff; padding: 26px 36px 20px;
           border-bottom: 5px solid #c8102e; }
  header .kicker { text-transform: uppercase; letter-spacing: .08em; font-size: 11px;
                   color: #c9d6ea; }
  header h1 { margin: 6px 0 4px; font-size: 24px; font-weight: bold; }
  header .period { font-size: 17px; color: #f2d27a; }
  header .range { margin-top: 8px; font-size: 12px; color: #c9d6ea; }
  section { padding: 18px 36px 8px; }
  h2 { font-size: 15px; color: #12325c; border-bottom: 1px solid #d5dce6; padding-bottom: 5px;
       margin: 8px 0 12px; }
  .headline { font-size: 17px; font-weight: bold; color: #12325c; margin: 4px 0 6px; }
  .subline { font-size: 14px; color: #33415c; margin: 0 0 8px; }
  .cards { display: flex; gap: 12px; margin: 14px 0 4px; }
  .card { flex: 1; border: 1px solid #d5dce6; border-top: 4px solid #1f4e8c; padding: 10px 12px;
          background: #f8fafc; }
  .card .label { font-size: 11px; color: #5a6b82; text-transform: uppercase; letter-spacing: .04em; }
  .card .value { font-size: 21px; font-weight: bold; color: #12325c; margin: 2px 0; }
  .card .delta { font-size: 12px; font-weight: bold; min-height: 16px; }
  .up { color: #2e7d4f; } .down { color: #b3261e; } .flat { color: #5a6b82; }
  table { border-collapse: collapse; width: 100%; margin: 10px 0 8px; font-size: 12px; }
  th { background: #12325c; color: #fff; text-align: left; padding: 6px 8px; font-weight: normal; }
  td { padding: 5px 8px; border-bottom: 1px solid #e3e8ef; }
  tr:nth-child(even) td { background: #f6f8fb; }
  td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
  .muted { color: #7a889b; font-size: 11px; }
  .notes { font-size: 11.5px; color: #4a5a70; }
  .notes li { margin-bottom: 4px; }
  footer { padding: 12px 36px 22px; font-size: 11px; color: #7a889b; border-top: 1px solid #e3e8ef; }
  svg { display: block; margin: 6px 0; }
)css";

std::string DeltaClass(const v1::GrowthRow& row) {
  if (!row.defined() || row.difference() == 0) return "flat";
  return row.difference() > 0 ? "up" : "down";
}

// A headline figure: its label, value, change (coloured by `delta_class`) and
// the same period's figure beneath.
std::string Card(absl::string_view label, absl::string_view value, absl::string_view delta,
                 absl::string_view delta_class, absl::string_view note,
                 absl::string_view color = kCurrentColor) {
  return absl::StrCat("<div class=\"card\" style=\"border-top-color:", color,
                      "\"><div class=\"label\">", EscapeXml(label), "</div><div class=\"value\">",
                      EscapeXml(value), "</div><div class=\"delta ", delta_class, "\">",
                      EscapeXml(delta), "</div><div class=\"muted\">", EscapeXml(note),
                      "</div></div>");
}

std::string HtmlTable(const std::vector<std::string>& header,
                      const std::vector<std::vector<std::string>>& rows, size_t first_number) {
  std::string out = "<table><thead><tr>";
  for (size_t c = 0; c < header.size(); ++c) {
    absl::StrAppend(&out, c >= first_number ? "<th class=\"n\">" : "<th>", EscapeXml(header[c]),
                    "</th>");
  }
  out += "</tr></thead><tbody>";
  for (const auto& row : rows) {
    out += "<tr>";
    for (size_t c = 0; c < row.size(); ++c) {
      // Cells are escaped by the caller (some carry markup).
      absl::StrAppend(&out, c >= first_number ? "<td class=\"n\">" : "<td>", row[c], "</td>");
    }
    out += "</tr>";
  }
  return out + "</tbody></table>";
}

std::string Html(const ReportData& data, const ReportLocale& locale, absl::CivilDay generated_on) {
  const ReportLabels& l = locale.labels();
  const Summary s = Summarize(data);
  const int64_t whole = data.total.current();
  auto count = [&](double v) { return locale.Count(static_cast<int64_t>(v)); };
  const std::string this_year = absl::StrCat(data.period.from().year());
  const std::string same_period = locale.SamePeriodOf(s.baseline_year);

  std::string out = absl::StrCat(
      "<!DOCTYPE html>\n<html lang=\"", locale.code(), "\"><head><meta charset=\"utf-8\">",
      "<title>", EscapeXml(l.title), ": ", EscapeXml(locale.PeriodName(data.kind, data.period)),
      "</title><style>", kStyle, "</style></head><body><main>");
  absl::StrAppend(&out, "<header><div class=\"kicker\">", EscapeXml(l.subtitle),
                  "</div><h1>", EscapeXml(l.title), "</h1><div class=\"period\">",
                  EscapeXml(Title(data, locale)), "</div><div class=\"range\">",
                  EscapeXml(PeriodLine(data, locale)), "</div></header>");

  // Summary: the sentences, then the figures as cards.
  absl::StrAppend(&out, "<section><h2>", EscapeXml(l.summary), "</h2><p class=\"headline\">",
                  EscapeXml(locale.Headline(data.total, s.baseline_year)),
                  ".</p><p class=\"subline\">",
                  EscapeXml(locale.DocumentsSentence(data.documents, s.baseline_year)),
                  ".</p><div class=\"cards\">");
  auto same = [&](const std::string& figure) { return absl::StrCat(same_period, ": ", figure); };
  absl::StrAppend(
      &out,
      Card(l.transactions, locale.Count(data.total.current()), locale.Change(data.total),
           DeltaClass(data.total), same(locale.Count(data.total.baseline()))),
      Card(l.documents, locale.Count(data.documents.current()),
           data.documents.defined() ? locale.Multiple(data.documents.multiple())
                                    : locale.Change(data.documents),
           DeltaClass(data.documents), same(locale.Count(data.documents.baseline()))),
      Card(l.success_rate, locale.ShareOf(s.current[Outcome::kAnswered], s.current.calls()), "",
           "flat", same(locale.ShareOf(s.baseline[Outcome::kAnswered], s.baseline.calls())),
           kAnsweredColor));
  for (auto [label, outcome] : {std::pair{l.refusals, Outcome::kRefused},
                                std::pair{l.errors, Outcome::kFailed},
                                std::pair{l.cancelled, Outcome::kCancelled}}) {
    absl::StrAppend(&out, Card(label, locale.Count(s.current[outcome]),
                               locale.ShareOf(s.current[outcome], s.calls()), "flat",
                               same(locale.Count(s.baseline[outcome])), OutcomeColor(outcome)));
  }
  absl::StrAppend(&out, "</div></section>");

  // The trend.
  ColumnChart trend;
  trend.format = count;
  trend.series = {{this_year, kCurrentColor, {}}, {same_period, kBaselineColor, {}}};
  std::vector<std::vector<std::string>> trend_rows;
  for (const TrendPoint& point : data.trend) {
    trend.categories.push_back(TrendLabel(point, data.trend_by_day, locale));
    trend.series[0].values.push_back(static_cast<double>(point.growth.current()));
    trend.series[1].values.push_back(static_cast<double>(point.growth.baseline()));
  }
  absl::StrAppend(&out, "<section><h2>", EscapeXml(data.trend_by_day ? l.by_day : l.by_month),
                  "</h2>", RenderColumnChart(trend, 788, 250), "</section>");

  auto ranking = [&](const char* heading, const char* first,
                     const std::vector<ReportRow>& rows, bool services) {
    absl::StrAppend(&out, "<section><h2>", EscapeXml(heading), "</h2>");
    if (rows.empty()) {
      absl::StrAppend(&out, "<p>", EscapeXml(l.no_transactions), "</p></section>");
      return;
    }
    ColumnChart chart;
    chart.format = count;
    chart.series = {{this_year, kCurrentColor, {}}, {same_period, kBaselineColor, {}}};
    std::vector<std::vector<std::string>> cells;
    for (const ReportRow& row : rows) {
      const std::string label = services ? ShortService(row.key) : row.label;
      chart.categories.push_back(Abbreviated(label.empty() ? row.key : label, 24));
      chart.series[0].values.push_back(static_cast<double>(row.growth.current()));
      chart.series[1].values.push_back(static_cast<double>(row.growth.baseline()));
      std::string key = EscapeXml(row.key);
      if (!label.empty() && label != row.key) {
        key = absl::StrCat(EscapeXml(label), "<br><span class=\"muted\">", EscapeXml(row.key),
                           "</span>");
      }
      std::vector<std::string> line = GrowthCells(row.key, row.growth, locale, whole);
      line[0] = key;
      line[3] = absl::StrCat("<span class=\"", DeltaClass(row.growth), "\">",
                             EscapeXml(line[3]), "</span>");
      cells.push_back(std::move(line));
    }
    absl::StrAppend(&out, RenderBarChart(chart, 788),
                    HtmlTable(GrowthHeader(first, locale, s.baseline_year), cells, 1),
                    "</section>");
  };
  ranking(l.by_provider, l.agency, data.providers, false);
  ranking(l.by_consumer, l.agency, TopWithOthers(data.consumers, kTopConsumers, locale), false);
  ranking(l.top_services, l.service, TopWithOthers(data.services, kTopServices, locale), true);

  // Outcomes.
  absl::StrAppend(&out, "<section><h2>", EscapeXml(l.outcomes), "</h2>",
                  RenderShareBar(
                      {{l.answered, kAnsweredColor,
                        static_cast<double>(s.current[Outcome::kAnswered])},
                       {l.refused, kRefusedColor, static_cast<double>(s.current[Outcome::kRefused])},
                       {l.failed, kFailedColor, static_cast<double>(s.current[Outcome::kFailed])},
                       {l.cancelled_short, kCancelledColor,
                        static_cast<double>(s.current[Outcome::kCancelled])}},
                      count, 788));
  std::vector<std::vector<std::string>> failures;
  for (const OutcomeRow& row : OutcomeRows(data)) {
    const v1::GrowthRow& growth = row.row->growth;
    failures.push_back({absl::StrCat("<span style=\"color:", OutcomeColor(row.outcome),
                                     "\">&#9632;</span> ", EscapeXml(row.row->key)),
                        EscapeXml(Meaning(row, locale)), EscapeXml(locale.Count(growth.current())),
                        EscapeXml(locale.ShareOf(growth.current(), s.calls())),
                        EscapeXml(locale.Count(growth.baseline()))});
  }
  if (!failures.empty()) {
    absl::StrAppend(&out, HtmlTable({l.status, l.meaning, l.this_period, l.share, same_period},
                                    failures, 2));
  }
  absl::StrAppend(&out, "</section><section><h2>", EscapeXml(l.notes),
                  "</h2><ul class=\"notes\"><li>", EscapeXml(l.note_transaction), "</li><li>",
                  EscapeXml(l.note_outcomes), "</li><li>", EscapeXml(l.note_documents),
                  data.hub_refusals_known
                      ? ""
                      : absl::StrCat("</li><li>", EscapeXml(l.note_no_hub_refusals)),
                  "</li></ul></section><footer>", EscapeXml(l.generated), ", ",
                  EscapeXml(locale.Date(gateway::statistics::ToProtoDay(generated_on))),
                  "</footer></main></body></html>\n");
  return out;
}

}  // namespace

absl::StatusOr<ReportFormat> ParseReportFormat(absl::string_view name) {
  if (name == "html") return ReportFormat::kHtml;
  if (name == "md") return ReportFormat::kMarkdown;
  if (name == "csv") return ReportFormat::kCsv;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown format \"", name, "\" (expected html, md or csv)"));
}

std::string RenderReport(const ReportData& data, ReportFormat format, const ReportLocale& locale,
                         absl::CivilDay generated_on) {
  switch (format) {
    case ReportFormat::kHtml:
      return Html(data, locale, generated_on);
    case ReportFormat::kMarkdown:
      return Markdown(data, locale, generated_on);
    case ReportFormat::kCsv:
      return Csv(data);
  }
  return "";
}

}  // namespace ndxp::ndxpctl
