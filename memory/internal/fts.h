// Full-text pieces on top of FTS5: the query's words as the index sees them, and arbor_bm25().
//
// arbor_bm25(memories_fts, w_text, w_tags, df_1, ..., df_P) computes the same BM25 as FTS5's
// bm25() (k1 = 1.2, b = 0.75, the same column weighting and idf), but takes each phrase's
// document frequency as an argument instead of counting it by scanning the phrase's whole
// doclist on every statement. The Store reads the frequencies once per query from the
// fts5vocab table, which lets it score a few chosen rows cheaply (bm25() would cost a scan of
// every query word's matches for each statement). It returns the score with higher = better.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "memory/internal/sqlite.h"

namespace arbor::memory::internal {

// Column weights of memories_fts(text, tags) in arbor_bm25.
inline constexpr double kTextWeight = 2.0;
inline constexpr double kTagsWeight = 1.0;

// Registers arbor_bm25 on `conn` (once per connection).
Status register_fts_functions(Connection& conn);

// One distinct word of a query.
struct QueryTerm {
  std::string token;  // as stored in the index (case-folded, stemmed)
  std::string text;   // the query's own spelling, quoted into MATCH expressions
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

 private:
  struct Impl;
  explicit FtsTokenizer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Tokenizes `text` with the connection's tokenizer and looks up each term's document count
// (0 for a word no memory contains).
StatusOr<std::vector<QueryTerm>> query_terms(Connection& conn, std::string_view text,
                                             std::size_t max_terms = 32);

// `"w1" OR "w2" ...` for the terms (each quoted, so no query character is FTS5 syntax).
std::string match_expression(const std::vector<QueryTerm>& terms);
// "arbor_bm25(memories_fts, 2.0, 1.0, ?, ...)": one "?" per term, to be bound to its `docs`
// in order (the SQL depends only on the number of terms, so statements stay cached).
std::string bm25_call(std::size_t n_terms);

}  // namespace arbor::memory::internal
