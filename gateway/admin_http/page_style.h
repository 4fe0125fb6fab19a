// The admin listener's pages' one style sheet (the dashboard, the API
// catalogue): no external asset, every page renders offline.
#ifndef NDXP_GATEWAY_ADMIN_HTTP_PAGE_STYLE_H_
#define NDXP_GATEWAY_ADMIN_HTTP_PAGE_STYLE_H_

namespace ndxp::gateway::admin_http {

inline constexpr char kPageStyle[] = R"(
:root { --ink:#1b2430; --muted:#5b6778; --line:#e3e8ef; --bg:#f5f7fa; --card:#fff;
        --blue:#1f6feb; --good:#1a7f37; --warn:#9a6700; --bad:#cf222e; }
* { box-sizing: border-box; }
body { margin:0; font-family: "DejaVu Sans", "Segoe UI", Roboto, Arial, sans-serif;
       color:var(--ink); background:var(--bg); font-size:14px; }
header { background:#0d2545; color:#fff; padding:18px 32px; display:flex;
         justify-content:space-between; align-items:baseline; }
header h1 { margin:0; font-size:20px; font-weight:600; }
header .period { color:#c8d3e3; }
main { padding:24px 32px; max-width:1280px; margin:0 auto; }
.cards { display:grid; grid-template-columns:repeat(6, 1fr); gap:16px; margin-bottom:24px; }
.card, section { background:var(--card); border:1px solid var(--line); border-radius:8px; }
.card { padding:16px; }
.card .name { color:var(--muted); font-size:12px; text-transform:uppercase; letter-spacing:.04em; }
.card .figure { font-size:28px; font-weight:600; margin:6px 0 2px; }
.card .note { color:var(--muted); font-size:12px; }
section { padding:16px 20px; margin-bottom:24px; }
section h2 { font-size:16px; margin:0 0 12px; }
section p.explain { color:var(--muted); margin:-6px 0 12px; font-size:13px; }
.pair { display:grid; grid-template-columns:1fr 1fr; gap:24px; }
.pair section { margin-bottom:0; }
table { border-collapse:collapse; width:100%; }
th, td { text-align:left; padding:7px 8px; border-bottom:1px solid var(--line); }
th { color:var(--muted); font-weight:600; font-size:12px; text-transform:uppercase; }
td.num, th.num { text-align:right; font-variant-numeric:tabular-nums; }
td.code, .muted { color:var(--muted); font-size:12px; }
.good { color:var(--good); } .warn { color:var(--warn); } .bad { color:var(--bad); }
.pill { display:inline-block; padding:1px 8px; border-radius:10px; font-size:12px; font-weight:600; }
.pill.good { background:#dafbe1; } .pill.bad { background:#ffebe9; } .pill.warn { background:#fff8c5; }
svg.chart { width:100%; height:auto; }
svg .grid { stroke:var(--line); } svg .axis { fill:var(--muted); font-size:11px; }
svg .value { fill:var(--ink); font-size:11px; } svg .value.muted { fill:var(--muted); }
svg .label { fill:var(--ink); font-size:13px; } svg .change { fill:var(--ink); font-size:13px; font-weight:600; }
footer { color:var(--muted); font-size:12px; padding:0 32px 24px; max-width:1280px; margin:0 auto; }
)";

}  // namespace ndxp::gateway::admin_http

#endif  // NDXP_GATEWAY_ADMIN_HTTP_PAGE_STYLE_H_
