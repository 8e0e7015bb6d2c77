// arbor memory add|search|delete|stats|export: the long-term memory database from the shell.
//
//   arbor memory add    --db FILE --text TEXT [--kind KIND] [--scope SCOPE] [--tags a,b]
//                       [--importance X] [--embedder hash]             -> {"id": N, ...}
//   arbor memory search --db FILE --query TEXT [--k N] [--kind KIND] [--scope SCOPE]
//                       [--embedder hash]                              -> one line per hit
//   arbor memory delete --db FILE (--id N | --scope SCOPE)             -> {"deleted": N}
//   arbor memory stats  --db FILE                                      -> one document
//   arbor memory export --db FILE                                      -> one line per memory
//
// Only `add` creates a database; the others refuse a missing file (exit 2). Every command also
// takes --busy-timeout MS (how long to wait for another process's lock, default 5000).
#include <cstdio>
#include <memory>
#include <string>

#include "core/file.h"
#include "core/json.h"
#include "core/strings.h"
#include "memory/hashing_embedder.h"
#include "memory/store.h"

#include "apps/commands.h"
#include "apps/flags.h"

namespace arbor::apps {
namespace {

using memory::Store;
using memory::StoreOptions;

constexpr const char* kUsage =
    "usage: arbor memory add --db FILE --text TEXT [--kind KIND] [--scope SCOPE] [--tags a,b]\n"
    "                        [--importance X] [--embedder hash]\n"
    "       arbor memory search --db FILE --query TEXT [--k N] [--kind KIND] [--scope SCOPE]\n"
    "                           [--embedder hash]\n"
    "       arbor memory delete --db FILE (--id N | --scope SCOPE)\n"
    "       arbor memory stats --db FILE\n"
    "       arbor memory export --db FILE\n"
    "(all take --busy-timeout MS)\n";

Json memory_json(const memory::Memory& m) {
  Json j = {{"id", m.id},
            {"kind", m.kind},
            {"scope", m.scope},
            {"text", m.text},
            {"tags", m.tags},
            {"importance", m.importance},
            {"created_at", m.created_at},
            {"accessed_at", m.accessed_at}};
  j["expires_at"] = m.expires_at ? Json(*m.expires_at) : Json(nullptr);
  j["superseded_by"] = m.superseded_by ? Json(*m.superseded_by) : Json(nullptr);
  j["episode"] = m.episode ? Json(*m.episode) : Json(nullptr);
  return j;
}

StatusOr<StoreOptions> store_options(const Flags& flags, bool create, bool read_only) {
  StoreOptions o;
  o.create_if_missing = create;
  o.read_only = read_only;
  o.readers = 1;
  ARBOR_ASSIGN_OR_RETURN(const std::int64_t busy, flags.get_int("--busy-timeout", 5000));
  if (busy < 0) return Status::invalid_argument("--busy-timeout must not be negative");
  o.busy_timeout_ms = static_cast<int>(busy);
  if (auto e = flags.get("--embedder")) {
    if (*e != "hash") {
      return Status::invalid_argument("--embedder '" + *e + "' is unknown (known: hash)");
    }
    o.embedder = std::make_shared<memory::HashingEmbedder>(384);
  }
  return o;
}

StatusOr<std::unique_ptr<Store>> open_store(const Flags& flags, bool create, bool read_only) {
  ARBOR_ASSIGN_OR_RETURN(const std::string db, flags.require("--db"));
  if (!create && !file_exists(db)) {
    return Status::not_found(db + ": no such memory database (arbor memory add creates one)");
  }
  ARBOR_ASSIGN_OR_RETURN(StoreOptions options, store_options(flags, create, read_only));
  return Store::open(db, std::move(options));
}

Status run_add(const Flags& flags) {
  memory::NewMemory m;
  ARBOR_ASSIGN_OR_RETURN(m.text, flags.require("--text"));
  m.kind = flags.get("--kind").value_or("fact");
  m.scope = flags.get("--scope").value_or("");
  if (auto tags = flags.get("--tags")) {
    for (const std::string& t : split(*tags, ',')) {
      const std::string_view tt = trim(t);
      if (!tt.empty()) m.tags.emplace_back(tt);
    }
  }
  ARBOR_ASSIGN_OR_RETURN(m.importance, flags.get_double("--importance", 0.5));
  ARBOR_ASSIGN_OR_RETURN(auto store, open_store(flags, /*create=*/true, /*read_only=*/false));
  ARBOR_ASSIGN_OR_RETURN(const memory::AddResult r, store->add(std::move(m)).wait());
  print_json_line(json_dump(Json{{"id", r.id}, {"created", r.created}}));
  return Status();
}

Status run_search(const Flags& flags) {
  memory::Query q;
  ARBOR_ASSIGN_OR_RETURN(q.text, flags.require("--query"));
  ARBOR_ASSIGN_OR_RETURN(const std::int64_t k, flags.get_int("--k", 10));
  if (k < 1 || k > 10000) return Status::invalid_argument("--k must be in [1, 10000]");
  q.k = static_cast<int>(k);
  if (auto kind = flags.get("--kind")) q.filter.kinds = {*kind};
  if (auto scope = flags.get("--scope")) q.filter.scopes = {*scope};
  ARBOR_ASSIGN_OR_RETURN(auto store, open_store(flags, false, /*read_only=*/true));
  ARBOR_ASSIGN_OR_RETURN(const auto hits, store->retrieve(std::move(q)).wait());
  for (const memory::ScoredMemory& h : hits) {
    Json j = {{"id", h.memory.id},
              {"text", h.memory.text},
              {"kind", h.memory.kind},
              {"scope", h.memory.scope},
              {"score", h.score},
              {"parts",
               {{"text", h.parts.text},
                {"vector", h.parts.vector},
                {"importance", h.parts.importance},
                {"recency", h.parts.recency}}}};
    j["bm25"] = h.parts.bm25 ? Json(*h.parts.bm25) : Json(nullptr);
    j["cosine"] = h.parts.cosine ? Json(*h.parts.cosine) : Json(nullptr);
    print_json_line(json_dump(j));
  }
  return Status();
}

Status run_delete(const Flags& flags) {
  const bool by_id = flags.has("--id");
  const bool by_scope = flags.has("--scope");
  if (by_id == by_scope) return Status::invalid_argument("give exactly one of --id or --scope");
  ARBOR_ASSIGN_OR_RETURN(auto store, open_store(flags, false, /*read_only=*/false));
  std::int64_t deleted = 0;
  if (by_id) {
    ARBOR_ASSIGN_OR_RETURN(const std::int64_t id, flags.get_int("--id", 0));
    ARBOR_ASSIGN_OR_RETURN(deleted, store->erase({id}, /*purge=*/true).wait());
    if (deleted == 0) return Status::not_found("--id " + std::to_string(id) + ": no such memory");
  } else {
    ARBOR_ASSIGN_OR_RETURN(deleted, store->erase_scope(*flags.get("--scope"), true).wait());
  }
  print_json_line(json_dump(Json{{"deleted", deleted}}));
  return Status();
}

Status run_stats(const Flags& flags) {
  ARBOR_ASSIGN_OR_RETURN(auto store, open_store(flags, false, /*read_only=*/true));
  ARBOR_ASSIGN_OR_RETURN(const memory::StoreStats s, store->stats().wait());
  Json j = {{"path", store->path()},      {"schema_version", s.schema_version},
            {"memories", s.memories},     {"active", s.active},
            {"superseded", s.superseded}, {"expired", s.expired},
            {"by_kind", s.by_kind},       {"by_scope", s.by_scope},
            {"vectors", s.vectors},       {"runs", s.runs},
            {"episodes", s.episodes},     {"steps", s.steps},
            {"results", s.results},       {"file_bytes", s.file_bytes},
            {"wal_bytes", s.wal_bytes}};
  print_json_line(json_dump(j));
  return Status();
}

Status run_export(const Flags& flags) {
  ARBOR_ASSIGN_OR_RETURN(auto store, open_store(flags, false, /*read_only=*/true));
  memory::MemoryId after = 0;
  while (true) {
    ARBOR_ASSIGN_OR_RETURN(const auto page, store->scan(after, 1000).wait());
    if (page.empty()) return Status();
    for (const memory::Memory& m : page) print_json_line(json_dump(memory_json(m)));
    after = page.back().id;
  }
}

}  // namespace

int cmd_memory(int argc, char** argv) {
  if (argc < 3) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  const std::string sub = argv[2];
  const std::string name = "memory " + sub;
  const std::vector<FlagSpec> common = {{"--db", true}, {"--busy-timeout", true}};
  const auto parse = [&](std::vector<FlagSpec> spec) {
    spec.insert(spec.end(), common.begin(), common.end());
    return Flags::parse(argc, argv, 3, spec);
  };
  StatusOr<Flags> flags = Status::invalid_argument("unknown subcommand '" + sub + "'");
  Status (*run)(const Flags&) = nullptr;
  if (sub == "add") {
    flags = parse({{"--text", true},
                   {"--kind", true},
                   {"--scope", true},
                   {"--tags", true},
                   {"--importance", true},
                   {"--embedder", true}});
    run = run_add;
  } else if (sub == "search") {
    flags = parse({{"--query", true},
                   {"--k", true},
                   {"--kind", true},
                   {"--scope", true},
                   {"--embedder", true}});
    run = run_search;
  } else if (sub == "delete") {
    flags = parse({{"--id", true}, {"--scope", true}});
    run = run_delete;
  } else if (sub == "stats") {
    flags = parse({});
    run = run_stats;
  } else if (sub == "export") {
    flags = parse({});
    run = run_export;
  } else if (sub == "--help" || sub == "-h" || sub == "help") {
    std::fputs(kUsage, stdout);
    return 0;
  } else {
    const std::string near = nearest_name(sub, {"add", "search", "delete", "stats", "export"});
    std::fprintf(stderr, "arbor memory: unknown subcommand '%s'%s\n%s", sub.c_str(),
                 near.empty() ? "" : (" (did you mean '" + near + "'?)").c_str(), kUsage);
    return 2;
  }
  if (!flags.ok()) return report_error(name, flags.status());
  if (!flags->positional().empty()) {
    return report_error(name, Status::invalid_argument("unexpected argument '" +
                                                       flags->positional().front() + "'"));
  }
  const Status s = run(*flags);
  return s.ok() ? 0 : report_error(name, s);
}

}  // namespace arbor::apps
