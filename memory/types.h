// The values memory::Store reads and writes: memories, retrieval queries and their scored hits,
// episodes and their steps, runs and per-problem results.
//
// Times are milliseconds since the Unix epoch (the Store's clock). Ids are SQLite rowids.
// Thread safety: plain values.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace arbor::memory {

using MemoryId = std::int64_t;
using EpisodeId = std::int64_t;
using RunId = std::int64_t;

// An embedding of a text by a named model. All vectors of one model have one dimension; the
// Store refuses a vector whose dimension differs from the model's first one.
struct Embedding {
  std::string model;          // "hash-384", "mamba-130m/hidden", ...
  std::vector<float> values;  // not necessarily normalized
};

// ---- memories ------------------------------------------------------------------------------

struct NewMemory {
  std::string kind = "fact";  // reflection, fact, solution, subgoal_summary, ...
  std::string scope;          // a namespace: "game:zork1", "task:gsm8k", "" (global)
  std::string text;           // REQUIRES: not empty (after trimming)
  std::vector<std::string> tags;
  double importance = 0.5;  // in [0, 1]
  std::optional<std::int64_t> expires_at;
  std::optional<EpisodeId> episode;  // the episode it came from
  std::optional<Embedding> embedding;
};

struct Memory {
  MemoryId id = 0;
  std::string kind;
  std::string scope;
  std::string text;
  std::vector<std::string> tags;
  double importance = 0;
  std::int64_t created_at = 0;
  std::int64_t accessed_at = 0;
  std::optional<std::int64_t> expires_at;
  std::optional<MemoryId> superseded_by;
  std::optional<EpisodeId> episode;
};

struct AddResult {
  MemoryId id = 0;
  // False when an active memory with the same kind, scope and text (after collapsing
  // whitespace) already existed: `id` is that memory and nothing was written.
  bool created = true;
};

// Fields of a memory that may change in place. The text never changes: replace it with
// Store::supersede, which keeps the old version.
struct MemoryUpdate {
  std::optional<double> importance;
  std::optional<std::vector<std::string>> tags;
  std::optional<std::optional<std::int64_t>> expires_at;  // {} keeps, {nullopt} clears
};

// Which memories a read considers. Empty lists match everything.
struct MemoryFilter {
  std::vector<std::string> kinds;
  std::vector<std::string> scopes;
  std::vector<std::string> tags;  // a memory must carry every one
  bool include_superseded = false;
  bool include_expired = false;
  std::optional<std::int64_t> created_after;   // exclusive
  std::optional<std::int64_t> created_before;  // exclusive
};

// How retrieval combines its signals. Each part is weight * signal, signal in [0, 1]:
//   text:       s / (s + bm25_half), where s = -bm25() >= 0 from FTS5 (porter stemming)
//   vector:     max(0, cosine) when cosine >= min_cosine, else 0
//   importance: the memory's importance
//   recency:    0.5 ^ (age / recency_half_life_ms), age since it was last accessed
// score = sum of the parts.
struct ScoreWeights {
  double text = 1.0;
  double vector = 1.0;
  double importance = 0.0;
  double recency = 0.0;
  double bm25_half = 4.0;
  double min_cosine = 0.0;
  double recency_half_life_ms = 7.0 * 24 * 3600 * 1000;
};

struct Query {
  std::string text;                    // may be empty when `embedding` is given
  std::optional<Embedding> embedding;  // computed by the Store's Embedder when absent
  int k = 10;
  MemoryFilter filter;
  ScoreWeights weights;
  // Candidates taken from each signal before fusion: max(k * 4, min_candidates).
  int min_candidates = 64;
  // Bounds the BM25 work per query to about this many matching memories: candidates come
  // from the rarest query words whose matches fit in it; words in more memories than that
  // still count in every candidate's score (and when the rare words find too few, the newest
  // this-many matches are ranked). See memory/internal/retrieval.h. 0: rank every match.
  int text_scan_budget = 2000;
  // Sets accessed_at of the hits (a queued write; the hits are returned without waiting).
  bool touch = false;
};

struct ScoreParts {
  double text = 0;  // weighted parts; score is their sum
  double vector = 0;
  double importance = 0;
  double recency = 0;
  std::optional<double> bm25;    // raw -bm25() when the text matched
  std::optional<double> cosine;  // raw cosine when the memory has a vector of the model
};

struct ScoredMemory {
  Memory memory;
  double score = 0;
  ScoreParts parts;
};

// Keep the newest `keep_last` active memories of each scope (all scopes, or only `scopes`)
// and hard-delete the rest, with the versions they superseded.
struct RetentionPolicy {
  std::int64_t keep_last = 1000;
  std::vector<std::string> scopes;
};

// Compaction hard-deletes what the options name, merges the FTS index into one segment (so no
// posting of deleted text stays in it), checkpoints and truncates the WAL, and optionally
// VACUUMs. Merging rewrites the whole index (0.5 s at 10^5 memories), so run it when idle.
struct CompactOptions {
  bool drop_expired = true;
  // Hard-delete superseded versions whose replacement is older than this (none when unset).
  std::optional<std::int64_t> drop_superseded_before;
  bool vacuum = false;  // rewrite the file to return free pages to the disk
};

struct CompactStats {
  std::int64_t deleted = 0;
  std::int64_t bytes_before = 0;  // database + WAL
  std::int64_t bytes_after = 0;
};

struct StoreStats {
  int schema_version = 0;
  std::int64_t memories = 0;
  std::int64_t active = 0;
  std::int64_t superseded = 0;
  std::int64_t expired = 0;
  std::map<std::string, std::int64_t> by_kind;   // active memories
  std::map<std::string, std::int64_t> by_scope;  // active memories
  std::map<std::string, std::int64_t> vectors;   // per embedding model
  std::int64_t runs = 0;
  std::int64_t episodes = 0;
  std::int64_t steps = 0;
  std::int64_t results = 0;
  std::int64_t file_bytes = 0;
  std::int64_t wal_bytes = 0;
};

// ---- episodes and steps --------------------------------------------------------------------

struct NewEpisode {
  std::optional<RunId> run;
  std::string problem;  // the problem or task id within the run
  std::string env;
  std::string task;
  std::string info_json = "{}";
};

enum class EpisodeStatus { kRunning, kFinished, kAbandoned };

struct Episode {
  EpisodeId id = 0;
  std::optional<RunId> run;
  std::string problem;
  std::string env;
  std::string task;
  std::string info_json;
  EpisodeStatus status = EpisodeStatus::kRunning;
  std::optional<std::string> outcome_json;
  std::int64_t started_at = 0;
  std::optional<std::int64_t> finished_at;
};

struct NewStep {
  std::string action;
  std::string observation;
  double reward = 0;
  std::string info_json = "{}";
};

struct Step {
  EpisodeId episode = 0;
  std::int64_t index = 0;  // 0, 1, 2, ... in order of appending
  std::string action;
  std::string observation;
  double reward = 0;
  std::string info_json;
  std::int64_t created_at = 0;
};

// ---- runs and per-problem results ----------------------------------------------------------

struct RunSpec {
  std::string name;         // unique per database
  std::string config_hash;  // a resumed run must have the same hash
  std::string config_json = "{}";
};

// What a driver needs to resume: the finished problems (skip them) and the episodes that were
// running when the process stopped (Store::open_run marks them abandoned; redo their problems).
struct RunProgress {
  RunId run = 0;
  bool resumed = false;               // false: the run was created by this call
  std::vector<std::string> finished;  // problem ids, sorted
  std::vector<Episode> abandoned;     // marked abandoned by this call
};

struct ProblemResult {
  RunId run = 0;
  std::string problem;
  std::string result_json;               // one line of results.jsonl; must be valid JSON
  std::optional<std::string> tree_json;  // the search tree, when kept
  std::optional<EpisodeId> episode;      // finished in the same transaction when set
  std::string outcome_json = "{}";       // the episode's outcome
};

struct ProblemRecord {
  std::string problem;
  std::string result_json;
  std::optional<EpisodeId> episode;
  std::int64_t finished_at = 0;
  bool has_tree = false;
};

}  // namespace arbor::memory
