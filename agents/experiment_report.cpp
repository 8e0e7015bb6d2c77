#include "agents/experiment_report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <set>

#include "core/file.h"

namespace arbor::agents {

namespace {

std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), f, v);
  return buf;
}

std::string escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

Status load_one(const std::string& dir, std::vector<ReportRow>& rows) {
  const std::string sweep = join_path(dir, "sweep.json");
  if (file_exists(sweep)) {
    ARBOR_ASSIGN_OR_RETURN(Json j, read_json_file(sweep));
    if (!j.contains("runs") || !j["runs"].is_array()) {
      return Status::invalid_argument(sweep + ": expected {\"runs\": [folder, ...]}");
    }
    for (const Json& r : j["runs"]) {
      if (!r.is_string()) return Status::invalid_argument(sweep + ": runs must be folder names");
      ARBOR_RETURN_IF_ERROR(load_one(join_path(dir, r.get<std::string>()), rows));
    }
    return Status();
  }
  const std::string path = join_path(dir, "summary.json");
  if (!file_exists(path)) {
    return Status::not_found(dir +
                             ": no summary.json (not a run folder, or a run that has not "
                             "ended: resume it with arbor run --resume " +
                             dir + ")");
  }
  ARBOR_ASSIGN_OR_RETURN(Json s, read_json_file(path));
  if (!s.is_object() || !s.contains("algorithms") || !s["algorithms"].is_object()) {
    return Status::invalid_argument(path + ": expected an object with 'algorithms'");
  }
  std::vector<std::string> order;
  for (const Json& n : s.value("order", Json::array())) order.push_back(n.get<std::string>());
  for (const auto& [k, v] : s["algorithms"].items()) {
    if (std::find(order.begin(), order.end(), k) == order.end()) order.push_back(k);
  }
  for (const std::string& name : order) {
    const Json& a = s["algorithms"][name];
    ReportRow r;
    r.run = s.value("experiment", std::string(""));
    r.run_dir = dir;
    r.algorithm = name;
    r.problems = a.value("problems", 0.0);
    r.accuracy = a.value("accuracy", 0.0);
    r.pass_at_k = a.value("pass_at_k", 0.0);
    r.tokens_per_problem = a.value("tokens_per_problem", 0.0);
    r.seconds = a.value("seconds", 0.0);
    r.tokens_per_s = a.value("tokens_per_s", 0.0);
    r.mean_batch = a.value("mean_batch", 0.0);
    r.complete = s.value("complete", true);
    rows.push_back(r);
  }
  return Status();
}

}  // namespace

StatusOr<std::vector<ReportRow>> load_report(const std::vector<std::string>& run_dirs) {
  if (run_dirs.empty()) return Status::invalid_argument("no run folders given");
  std::vector<ReportRow> rows;
  for (const std::string& d : run_dirs) {
    if (!is_directory(d)) return Status::not_found(d + ": no such run folder");
    ARBOR_RETURN_IF_ERROR(load_one(d, rows));
  }
  // Runs of the same experiment name are told apart by their folder.
  std::map<std::string, std::set<std::string>> dirs_of;
  for (const ReportRow& r : rows) dirs_of[r.run].insert(r.run_dir);
  for (ReportRow& r : rows) {
    if (dirs_of[r.run].size() > 1) {
      std::filesystem::path p = std::filesystem::path(r.run_dir).lexically_normal();
      if (p.filename().empty()) p = p.parent_path();
      r.run += " (" + p.filename().string() + ")";
    }
  }
  return rows;
}

std::string report_table(const std::vector<ReportRow>& rows) {
  std::size_t wr = 3, wa = 9;
  for (const ReportRow& r : rows) {
    wr = std::max(wr, r.run.size());
    wa = std::max(wa, r.algorithm.size());
  }
  auto pad = [](const std::string& s, std::size_t w) { return s + std::string(w - s.size(), ' '); };
  auto lpad = [](const std::string& s, std::size_t w) {
    return std::string(w > s.size() ? w - s.size() : 0, ' ') + s;
  };
  std::string out = pad("run", wr) + "  " + pad("algorithm", wa) + "  " + lpad("problems", 8) +
                    "  " + lpad("accuracy", 8) + "  " + lpad("pass@k", 7) + "  " +
                    lpad("tokens/problem", 14) + "  " + lpad("seconds", 8) + "  " +
                    lpad("tokens/s", 8) + "  " + lpad("batch", 6) + "\n";
  for (const ReportRow& r : rows) {
    out += pad(r.run, wr) + "  " + pad(r.algorithm, wa) + "  " + lpad(fmt("%.0f", r.problems), 8) +
           "  " + lpad(fmt("%.3f", r.accuracy), 8) + "  " + lpad(fmt("%.3f", r.pass_at_k), 7) +
           "  " + lpad(fmt("%.1f", r.tokens_per_problem), 14) + "  " +
           lpad(fmt("%.1f", r.seconds), 8) + "  " + lpad(fmt("%.0f", r.tokens_per_s), 8) + "  " +
           lpad(fmt("%.1f", r.mean_batch), 6) + (r.complete ? "" : "  (incomplete)") + "\n";
  }
  return out;
}

std::string report_html(const std::vector<ReportRow>& rows) {
  // Plot area: x = tokens per problem (log scale when the range spans 10x), y = accuracy.
  const double w = 640, h = 400, ml = 60, mr = 20, mt = 20, mb = 50;
  double xmin = 1e300, xmax = 0;
  for (const ReportRow& r : rows) {
    xmin = std::min(xmin, std::max(r.tokens_per_problem, 1.0));
    xmax = std::max(xmax, std::max(r.tokens_per_problem, 1.0));
  }
  if (rows.empty()) xmin = 1, xmax = 10;
  const bool logx = xmax / xmin >= 10;
  if (!logx) {
    const double pad = std::max((xmax - xmin) * 0.1, 1.0);
    xmin = std::max(0.0, xmin - pad);
    xmax += pad;
  } else {
    xmin /= 1.5;
    xmax *= 1.5;
  }
  auto fx = [&](double v) {
    v = std::max(v, 1.0);
    const double t = logx ? (std::log(v) - std::log(xmin)) / (std::log(xmax) - std::log(xmin))
                          : (v - xmin) / (xmax - xmin);
    return ml + t * (w - ml - mr);
  };
  auto fy = [&](double acc) { return mt + (1 - acc) * (h - mt - mb); };
  const char* colors[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
                          "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};
  std::vector<std::string> algos;
  for (const ReportRow& r : rows) {
    if (std::find(algos.begin(), algos.end(), r.algorithm) == algos.end()) {
      algos.push_back(r.algorithm);
    }
  }
  auto color = [&](const std::string& a) {
    const auto i = std::find(algos.begin(), algos.end(), a) - algos.begin();
    return colors[i % 10];
  };
  std::string svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + fmt("%.0f", w) +
                    "\" height=\"" + fmt("%.0f", h) +
                    "\" font-family=\"sans-serif\" "
                    "font-size=\"12\">\n";
  svg += "<rect x=\"0\" y=\"0\" width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  for (int i = 0; i <= 10; i += 2) {
    const double y = fy(i / 10.0);
    svg += "<line x1=\"" + fmt("%.1f", ml) + "\" x2=\"" + fmt("%.1f", w - mr) + "\" y1=\"" +
           fmt("%.1f", y) + "\" y2=\"" + fmt("%.1f", y) + "\" stroke=\"#ddd\"/>\n";
    svg += "<text x=\"" + fmt("%.1f", ml - 6) + "\" y=\"" + fmt("%.1f", y + 4) +
           "\" text-anchor=\"end\">" + fmt("%.1f", i / 10.0) + "</text>\n";
  }
  // x ticks: powers of 10 (and 2x, 5x) on a log axis, 5 even steps otherwise.
  std::vector<double> ticks;
  if (logx) {
    for (double p = std::pow(10, std::floor(std::log10(xmin))); p <= xmax; p *= 10) {
      for (double m : {1.0, 2.0, 5.0}) {
        if (p * m >= xmin && p * m <= xmax) ticks.push_back(p * m);
      }
    }
  } else {
    for (int i = 0; i <= 5; ++i) ticks.push_back(xmin + (xmax - xmin) * i / 5);
  }
  for (double t : ticks) {
    const double x = fx(t);
    svg += "<line x1=\"" + fmt("%.1f", x) + "\" x2=\"" + fmt("%.1f", x) + "\" y1=\"" +
           fmt("%.1f", mt) + "\" y2=\"" + fmt("%.1f", h - mb) + "\" stroke=\"#eee\"/>\n";
    svg += "<text x=\"" + fmt("%.1f", x) + "\" y=\"" + fmt("%.1f", h - mb + 16) +
           "\" text-anchor=\"middle\">" + fmt("%.0f", t) + "</text>\n";
  }
  svg += "<rect x=\"" + fmt("%.1f", ml) + "\" y=\"" + fmt("%.1f", mt) + "\" width=\"" +
         fmt("%.1f", w - ml - mr) + "\" height=\"" + fmt("%.1f", h - mt - mb) +
         "\" fill=\"none\" stroke=\"#333\"/>\n";
  svg += "<text x=\"" + fmt("%.1f", (ml + w - mr) / 2) + "\" y=\"" + fmt("%.1f", h - 12) +
         "\" text-anchor=\"middle\">tokens per problem" + (logx ? " (log scale)" : "") +
         "</text>\n";
  svg += "<text transform=\"translate(16," + fmt("%.1f", (mt + h - mb) / 2) +
         ") rotate(-90)\" text-anchor=\"middle\">accuracy</text>\n";
  for (const ReportRow& r : rows) {
    svg += "<circle cx=\"" + fmt("%.1f", fx(r.tokens_per_problem)) + "\" cy=\"" +
           fmt("%.1f", fy(r.accuracy)) + "\" r=\"6\" fill=\"" + color(r.algorithm) +
           "\" fill-opacity=\"0.8\"><title>" + escape(r.run + " / " + r.algorithm) + ": accuracy " +
           fmt("%.3f", r.accuracy) + ", " + fmt("%.1f", r.tokens_per_problem) +
           " tokens per problem</title></circle>\n";
  }
  // Legend.
  double ly = mt + 8;
  for (const std::string& a : algos) {
    svg += "<circle cx=\"" + fmt("%.1f", ml + 14) + "\" cy=\"" + fmt("%.1f", ly) +
           "\" r=\"5\" fill=\"" + color(a) + "\"/><text x=\"" + fmt("%.1f", ml + 24) + "\" y=\"" +
           fmt("%.1f", ly + 4) + "\">" + escape(a) + "</text>\n";
    ly += 16;
  }
  svg += "</svg>\n";

  std::string table =
      "<table>\n<tr><th>run</th><th>algorithm</th><th>problems</th>"
      "<th>accuracy</th><th>pass@k</th><th>tokens/problem</th><th>seconds</th>"
      "<th>tokens/s</th><th>mean batch</th></tr>\n";
  for (const ReportRow& r : rows) {
    table += "<tr><td>" + escape(r.run) + (r.complete ? "" : " (incomplete)") + "</td><td>" +
             escape(r.algorithm) + "</td><td>" + fmt("%.0f", r.problems) + "</td><td>" +
             fmt("%.3f", r.accuracy) + "</td><td>" + fmt("%.3f", r.pass_at_k) + "</td><td>" +
             fmt("%.1f", r.tokens_per_problem) + "</td><td>" + fmt("%.1f", r.seconds) +
             "</td><td>" + fmt("%.0f", r.tokens_per_s) + "</td><td>" + fmt("%.1f", r.mean_batch) +
             "</td></tr>\n";
  }
  table += "</table>\n";
  return "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Arbor report</title>\n"
         "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
         "td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}"
         "td:first-child,td:nth-child(2),th{text-align:left}</style></head>\n<body>\n"
         "<h1>Accuracy versus tokens per problem</h1>\n" +
         svg + table + "</body></html>\n";
}

}  // namespace arbor::agents
