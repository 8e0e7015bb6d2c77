// Full-text pieces on top of FTS5: the query's words as the index sees them, and BM25.
//
// arbor_bm25(memories_fts, w_text, w_tags, df_1, ..., df_P) computes the same BM25 as FTS5's
// bm25() (k1 = 1.2, b = 0.75, the same column weighting and idf), with higher = better, but
// takes each phrase's document count as an argument: bm25() counts it by walking the phrase's
// whole doclist in every statement. The counts come from table term_docs, which triggers keep
// equal to what FTS5 would count (using arbor_tokens(), FTS5's tokenizer as an SQL function).
// Bm25Scorer computes the same score in C++ from a memory's text, for the few candidates that
// were not ranked by an FTS5 query: an FTS5 MATCH restricted to one rowid cost about 0.2 ms per
// candidate at 2*10^4 memories; tokenizing the candidate's text costs microseconds.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "memory/internal/sqlite.h"

namespace arbor::memory::internal {

// Column weights of memories_fts(text, tags) in arbor_bm25.
inline constexpr double kTextWeight = 2.0;
inline constexpr double kTagsWeight = 1.0;

// Registers arbor_bm25, arbor_fts_totals and arbor_tokens on `conn` (once per connection).
Status register_fts_functions(Connection& conn);

// One distinct word of a query.
struct QueryTerm {
  std::string token;      // as stored in the index (case-folded, stemmed)
  std::string text;       // the query's own spelling, quoted into MATCH expressions
  std::int64_t docs = 0;  // memories whose text or tags contain it
};

// The tokenizer of memories_fts (porter over unicode61), bound to one connection.
class FtsTokenizer {
 public:
  static StatusOr<std::unique_ptr<FtsTokenizer>> create(Connection& conn);
  ~FtsTokenizer();
  FtsTokenizer(const FtsTokenizer&) = delete;
  FtsTokenizer& operator=(const FtsTokenizer&) = delete;

  // The distinct tokens of `text` in order of first appearance, at most `max_terms`, with
  // `docs` left 0.
  StatusOr<std::vector<QueryTerm>> tokenize(std::string_view text, std::size_t max_terms) const;
  // Calls `fn(token)` for every token of a stored text, in order (as FTS5 indexes it).
  Status for_each_token(std::string_view text,
                        const std::function<void(std::string_view)>& fn) const;

 private:
  struct Impl;
  explicit FtsTokenizer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Tokenizes `text` with the connection's tokenizer and looks up each term's document count
// (0 for a word no memory contains).
StatusOr<std::vector<QueryTerm>> query_terms(Connection& conn, std::string_view text,
                                             std::size_t max_terms = 32);

// Rows and tokens (all columns) in memories_fts, as BM25 needs them. `matching` must occur
// in at least one memory (FTS5 hands these totals only to a query that matches).
struct FtsTotals {
  std::int64_t rows = 0;
  std::int64_t tokens = 0;
};
StatusOr<FtsTotals> fts_totals(Connection& conn, const QueryTerm& matching);

// arbor_bm25 of one memory computed from its stored text and tags (the JSON text as stored).
class Bm25Scorer {
 public:
  // REQUIRES: `tokenizer` and `terms` outlive the scorer.
  Bm25Scorer(const FtsTokenizer& tokenizer, const std::vector<QueryTerm>& terms, FtsTotals totals)
      : tokenizer_(tokenizer), terms_(terms), totals_(totals) {}
  // The score, or nullopt when no term occurs in the memory (it does not match).
  StatusOr<std::optional<double>> score(std::string_view text, std::string_view tags) const;

 private:
  const FtsTokenizer& tokenizer_;
  const std::vector<QueryTerm>& terms_;
  FtsTotals totals_;
};

// The tokenizer bound to `conn` (created on first use).
StatusOr<const FtsTokenizer*> tokenizer_of(Connection& conn);

// `"w1" OR "w2" ...` for the terms (each quoted, so no query character is FTS5 syntax).
std::string match_expression(const std::vector<QueryTerm>& terms);
// "arbor_bm25(memories_fts, 2.0, 1.0, ?, ...)": one "?" per term, to be bound to its `docs`
// in order (the SQL depends only on the number of terms, so statements stay cached).
std::string bm25_call(std::size_t n_terms);

}  // namespace arbor::memory::internal
