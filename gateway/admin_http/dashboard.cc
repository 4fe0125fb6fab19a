#include "gateway/admin_http/dashboard.h"

#include <algorithm>
#include <memory>
#include <optional>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/text/markup.h"
#include "gateway/admin_http/metrics_page.h"
#include "gateway/admin_http/page_style.h"
#include "gateway/admin_http/svg_chart.h"
#include "gateway/statistics/agency_directory.h"
#include "gateway/statistics/outcomes.h"
#include "gateway/statistics/periods.h"

namespace ndxp::gateway::admin_http {
namespace {

namespace v1 = hub::v1;
using statistics::AgencyDirectory;
using statistics::NameLanguage;
using statistics::Outcome;
using statistics::OutcomeCounts;
using statistics::ToProtoDay;

constexpr int kMonthsShown = 24;
constexpr int kTopRows = 10;
constexpr const char* kMonthNames[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

v1::Period PeriodOf(v1::Period::Kind kind, absl::CivilDay anchor) {
  v1::Period period;
  period.set_kind(kind);
  *period.mutable_anchor() = ToProtoDay(anchor);
  return period;
}

std::string HalfYearName(absl::CivilDay day) {
  return absl::StrCat(day.month() <= 6 ? "H1" : "H2", " ", day.year());
}

std::string Percent(double value) { return absl::StrFormat("%.1f%%", value); }

// A share (0..1) as a percentage; "-" for none (no calls: no figure).
std::string ShareText(std::optional<double> share) {
  return share.has_value() ? Percent(100.0 * *share) : "-";
}

std::string Change(const v1::GrowthRow& row) {
  if (!row.defined()) return row.current() > 0 ? "new" : "-";
  return absl::StrFormat("%+.1f%%", row.percent_change());
}

std::string Card(absl::string_view name, absl::string_view metric, absl::string_view figure,
                 absl::string_view note, absl::string_view tone = "") {
  return absl::StrCat(R"(<div class="card"><div class="name">)", name,
                      R"(</div><div class="figure )", tone, R"(" data-metric=")", metric, R"(">)",
                      figure, R"(</div><div class="note">)", note, "</div></div>");
}

// Days until `when`, and a tone: red within 7 days, amber within 30.
std::pair<std::string, std::string> DaysLeft(absl::Time when, absl::Time now) {
  if (when == absl::InfiniteFuture()) return {"never", "good"};
  int64_t days = static_cast<int64_t>(std::floor(absl::ToDoubleHours(when - now) / 24));
  std::string tone = days < 7 ? "bad" : days < 30 ? "warn" : "good";
  return {days < 0 ? "expired" : absl::StrCat(GroupThousands(days), " days"), tone};
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

// A ranked table of count rows with each one's share of `total`; with
// `agencies`, the name of each row's agency beside its key (a consumer).
std::string RankTable(absl::string_view heading, absl::string_view metric,
                      const v1::CountResponse& counts, const AgencyDirectory* agencies) {
  std::string html = absl::StrCat("<section><h2>", heading, "</h2><table data-table=\"", metric,
                                  "\"><tr><th>#</th><th>Name</th>",
                                  agencies != nullptr ? "<th>Agency</th>" : "",
                                  "<th class=\"num\">Transactions</th><th class=\"num\">Share</th>"
                                  "</tr>");
  int rank = 0;
  for (const auto& row : counts.rows()) {
    if (++rank > kTopRows) break;
    double share = counts.total() > 0 ? 100.0 * row.count() / counts.total() : 0;
    absl::StrAppend(&html, "<tr><td>", rank, "</td><td>", EscapeXml(row.key(0)), "</td>");
    if (agencies != nullptr) {
      absl::StrAppend(&html, "<td>",
                      EscapeXml(agencies->Name(row.key(0), NameLanguage::kEnglish)), "</td>");
    }
    absl::StrAppend(&html, "<td class=\"num\">", GroupThousands(row.count()),
                    "</td><td class=\"num\">", Percent(share), "</td></tr>");
  }
  if (counts.rows().empty()) {
    absl::StrAppend(&html, "<tr><td colspan=\"", agencies != nullptr ? 5 : 4,
                    "\">No transactions in this period.</td></tr>");
  }
  return html + "</table></section>";
}

}  // namespace

absl::StatusOr<std::string> RenderDashboard(const AdminSources& sources, absl::string_view day,
                                            absl::Time now) {
  absl::CivilDay anchor = absl::ToCivilDay(now, sources.time_zone);
  if (!day.empty() && !absl::ParseCivilTime(day, &anchor)) {
    return absl::InvalidArgumentError(absl::StrCat("day \"", day, "\" is not YYYY-MM-DD"));
  }
  std::string half = HalfYearName(anchor);
  std::string last_half = HalfYearName(statistics::SameDayYearEarlier(anchor));
  std::string cards, body;
  // The running configuration's names of agencies (English: the page is).
  std::shared_ptr<const AgencyDirectory> directory =
      sources.agencies ? sources.agencies() : nullptr;
  if (directory == nullptr) directory = std::make_shared<const AgencyDirectory>();
  auto name_of = [&](const std::string& code) {
    return directory->Name(code, NameLanguage::kEnglish);
  };

  if (sources.statistics == nullptr) {
    body += "<section><h2>History</h2><p>Recording is off on this hub: there are no "
            "transactions on record to chart.</p></section>";
  } else {
    const statistics::StatisticsEngine& engine = *sources.statistics;
    // Transactions per month, the last kMonthsShown months up to the anchor's.
    std::vector<Bar> months;
    absl::CivilMonth last(anchor);
    for (absl::CivilMonth month = last - (kMonthsShown - 1); month <= last; ++month) {
      v1::CountRequest request;
      *request.mutable_period() = PeriodOf(v1::Period::MONTH, absl::CivilDay(month));
      absl::StatusOr<v1::CountResponse> count = engine.Count(request);
      if (!count.ok()) return count.status();
      months.push_back({absl::StrFormat("%s %02d", kMonthNames[month.month() - 1],
                                        month.year() % 100),
                        count->total()});
    }
    // This half-year against the same one last year, by provider agency.
    v1::GrowthRequest growth_request;
    *growth_request.mutable_period() = PeriodOf(v1::Period::HALF_YEAR, anchor);
    growth_request.set_baseline(v1::GrowthRequest::YEAR_ON_YEAR);
    growth_request.add_group_by(v1::PROVIDER);
    absl::StatusOr<v1::GrowthResponse> growth = engine.Growth(growth_request);
    if (!growth.ok()) return growth.status();
    auto count_by = [&](v1::Dimension dimension, v1::Calls calls) {
      v1::CountRequest request;
      *request.mutable_period() = PeriodOf(v1::Period::HALF_YEAR, anchor);
      request.add_group_by(dimension);
      request.set_calls(calls);
      return engine.Count(request);
    };
    absl::StatusOr<v1::CountResponse> consumers = count_by(v1::CONSUMER, v1::FORWARDED);
    absl::StatusOr<v1::CountResponse> services = count_by(v1::SERVICE, v1::FORWARDED);
    absl::StatusOr<v1::CountResponse> statuses = count_by(v1::STATUS, v1::FORWARDED);
    absl::StatusOr<v1::CountResponse> refusals = count_by(v1::STATUS, v1::REFUSED_BY_HUB);
    for (const auto* s : {&consumers, &services, &statuses, &refusals}) {
      if (!s->ok()) return s->status();
    }

    const v1::GrowthRow& total = growth->total();
    cards += Card(absl::StrCat("Transactions ", half), "half-year-total",
                  GroupThousands(total.current()),
                  absl::StrCat(GroupThousands(total.baseline()), " in ", last_half));
    cards += Card(absl::StrCat("Change on ", last_half), "half-year-change", Change(total),
                  total.defined() ? absl::StrFormat("%.2f&times; the same half-year last year",
                                                    total.multiple())
                                  : EscapeXml(total.undefined_reason()),
                  !total.defined() ? "" : total.percent_change() >= 0 ? "good" : "bad");
    // The calls received this half-year by outcome: the one classification
    // ndxpctl report uses too (gateway/statistics/outcomes.h).
    OutcomeCounts outcomes;
    int64_t hub_refused = 0;
    for (const auto& row : statuses->rows()) outcomes.Add(v1::FORWARDED, row.key(0), row.count());
    for (const auto& row : refusals->rows()) {
      outcomes.Add(v1::REFUSED_BY_HUB, row.key(0), row.count());
      hub_refused += row.count();
    }
    const std::string calls = GroupThousands(outcomes.calls());
    const std::optional<double> error_rate = outcomes.Share(Outcome::kFailed);
    cards += Card("Error rate", "error-rate", ShareText(error_rate),
                  absl::StrCat(GroupThousands(outcomes[Outcome::kFailed]), " of ", calls,
                               " calls failed (the provider or the way to it)"),
                  !error_rate.has_value() ? ""
                  : *error_rate >= 0.05   ? "bad"
                  : *error_rate >= 0.01   ? "warn"
                                          : "good");
    const std::optional<double> refusal_rate = outcomes.Share(Outcome::kRefused);
    cards += Card("Refusal rate", "refusal-rate", ShareText(refusal_rate),
                  absl::StrCat(GroupThousands(outcomes[Outcome::kRefused]), " of ", calls,
                               " calls refused, ", GroupThousands(hub_refused),
                               " of them by the hub itself"),
                  refusal_rate.value_or(0) >= 0.05 ? "warn" : "");
    cards += Card("Cancelled by callers", "cancelled",
                  GroupThousands(outcomes[Outcome::kCancelled]),
                  absl::StrCat(ShareText(outcomes.Share(Outcome::kCancelled)), " of ", calls,
                               " calls: the caller went away before the answer (not an error)"));

    body += absl::StrCat(
        "<section><h2>Transactions per month</h2><p class=\"explain\">Calls between agencies "
        "carried by the hub, ",
        months.front().label, " to ", months.back().label, ".</p>",
        ColumnChart(months, "Transactions per month"), "</section>");

    std::vector<BarPair> providers;
    for (const auto& row : growth->rows()) {
      const std::string name = name_of(row.key(0));
      providers.push_back({name.empty() ? row.key(0) : Abbreviated(name, 26), row.current(),
                           row.baseline(), Change(row)});
    }
    std::string provider_rows;
    for (const auto& row : growth->rows()) {
      const std::string name = name_of(row.key(0));
      absl::StrAppend(&provider_rows, "<tr><td>", EscapeXml(name.empty() ? row.key(0) : name),
                      "</td><td class=\"code\">", EscapeXml(row.key(0)),
                      "</td><td class=\"num\">", GroupThousands(row.current()),
                      "</td><td class=\"num\">", GroupThousands(row.baseline()),
                      "</td><td class=\"num\">", EscapeXml(Change(row)), "</td></tr>");
    }
    body += absl::StrCat(
        "<section><h2>", half, " against ", last_half, " by provider agency</h2>",
        "<p class=\"explain\">Transactions served by each agency that owns data, this "
        "half-year and the same half-year a year earlier.</p>",
        PairedBarChart(providers, half, last_half, "Half-year by provider agency"),
        "<table data-table=\"providers\"><tr><th>Provider agency</th><th>Code</th>"
        "<th class=\"num\">", half,
        "</th><th class=\"num\">", last_half, "</th><th class=\"num\">Change</th></tr>",
        provider_rows, "<tr><th>Total</th><th></th><th class=\"num\">",
        GroupThousands(total.current()),
        "</th><th class=\"num\">", GroupThousands(total.baseline()), "</th><th class=\"num\">",
        Change(total), "</th></tr></table></section>");
    body += absl::StrCat("<div class=\"pair\">",
                         RankTable(absl::StrCat("Top consumers, ", half), "consumers", *consumers,
                                   directory.get()),
                         RankTable(absl::StrCat("Top services, ", half), "services", *services,
                                   nullptr),
                         "</div><div style=\"height:24px\"></div>");
  }

  if (sources.statistics == nullptr) {
    // Nothing on record: the refusals since the hub started, from its counters.
    uint64_t refused = 0;
    for (const auto& [reason, count] : RefusalsByReason(*sources.stats)) refused += count;
    uint64_t forwarded = sources.stats->forwarded.load(std::memory_order_relaxed);
    double refusal_rate =
        refused + forwarded > 0 ? 100.0 * refused / static_cast<double>(refused + forwarded) : 0;
    cards += Card("Refusal rate", "refusal-rate", Percent(refusal_rate),
                  absl::StrCat(GroupThousands(refused), " of ",
                               GroupThousands(refused + forwarded),
                               " calls refused by the hub since it started"),
                  refusal_rate >= 5 ? "warn" : "");
  }

  // Connector health.
  std::vector<ConnectorProbe::Result> connectors = sources.connectors->Results();
  metrics::CallMetrics::Snapshot calls = sources.calls->Read();
  int reachable = 0;
  std::string connector_rows;
  for (const auto& c : connectors) {
    reachable += c.reachable ? 1 : 0;
    int64_t open = 0;
    bool not_serving = false;  // its health checks say so (drained)
    for (const auto& u : calls.upstreams) {
      if (u.provider != c.target.provider || u.endpoint != c.target.endpoint) continue;
      open += u.open;
      not_serving |= u.checked && !u.serving;
    }
    const std::string name = name_of(c.target.provider);
    absl::StrAppend(
        &connector_rows, "<tr><td>", EscapeXml(c.target.provider),
        name.empty() ? "" : absl::StrCat("<br><span class=\"muted\">", EscapeXml(name), "</span>"),
        "</td><td>",
        EscapeXml(c.target.endpoint), "</td><td>",
        !c.probed ? "<span class=\"pill warn\">checking</span>"
        : c.reachable
            ? (not_serving ? "<span class=\"pill warn\">reachable, not serving</span>"
                           : "<span class=\"pill good\">reachable</span>")
            : absl::StrCat("<span class=\"pill bad\">unreachable</span> ", EscapeXml(c.error)),
        "</td><td class=\"num\">", open, "</td></tr>");
  }
  cards += Card("Connectors reachable", "connectors-reachable",
                absl::StrCat(reachable, " of ", connectors.size()), "probed every second",
                reachable == static_cast<int>(connectors.size()) ? "good" : "bad");

  // Certificates.
  std::shared_ptr<const transport::TlsMaterial> tls = sources.tls->Current();
  std::string certificate_rows;
  auto certificate_row = [&](absl::string_view what, absl::Time when) {
    auto [left, tone] = DaysLeft(when, now);
    absl::StrAppend(&certificate_rows, "<tr><td>", what, "</td><td>",
                    when == absl::InfiniteFuture()
                        ? "-"
                        : absl::FormatTime("%Y-%m-%d %H:%M UTC", when, absl::UTCTimeZone()),
                    "</td><td class=\"num\"><span class=\"pill ", tone, "\">", left,
                    "</span></td></tr>");
  };
  certificate_row("The hub's certificate", tls->certificate_not_after());
  certificate_row("The federation CA", tls->ca_not_after());
  if (!tls->crls().empty()) {
    certificate_row("Next CRL update due", tls->earliest_crl_next_update());
  }

  body += absl::StrCat(
      "<div class=\"pair\"><section><h2>Connector health</h2><p class=\"explain\">Whether the "
      "hub can open a verified connection to each agency's system now.</p>"
      "<table data-table=\"connectors\"><tr><th>Provider agency</th><th>Address</th>"
      "<th>Status</th><th class=\"num\">Open connections</th></tr>",
      connector_rows,
      "</table></section><section><h2>Certificates</h2><p class=\"explain\">Past these dates "
      "agencies can no longer connect: renew before.</p><table data-table=\"certificates\">"
      "<tr><th>What</th><th>Expires</th><th class=\"num\">Left</th></tr>",
      certificate_rows, "</table></section></div>");

  return absl::StrCat(
      "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>ndxp hub - ", half,
      "</title><style>", kPageStyle, "</style></head><body><header><h1>National data-exchange hub"
      "</h1><span class=\"period\">", half, " (", statistics::FormatDay(anchor),
      ") &middot; generated ", absl::FormatTime("%Y-%m-%d %H:%M %Z", now, sources.time_zone),
      "</span></header><main><div class=\"cards\">", cards, "</div>", body,
      "</main><footer>Counts are recorded transactions (calls the hub routed to an agency). "
      "The rates are shares of every call the hub received in the half-year, its transactions "
      "and the calls it refused itself: refused (not granted or not a valid request, by the hub "
      "or the provider), failed (the provider or the way to it: unavailable, too slow, broken), "
      "cancelled by the caller (not an error), or answered (NOT_FOUND is an answer), as in "
      "ndxpctl report. Live metrics: <a href=\"/metrics\">/metrics</a>. The services, their "
      "methods and who may call them: <a href=\"/catalogue\">the API catalogue</a>.</footer>"
      "</body></html>");
}

}  // namespace ndxp::gateway::admin_http
