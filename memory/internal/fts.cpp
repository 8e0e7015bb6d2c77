#include "memory/internal/fts.h"

#include <cmath>
#include <cstring>
#include <set>

#include <sqlite3.h>

#include "core/json.h"

namespace arbor::memory::internal {
namespace {

StatusOr<fts5_api*> fts5_api_of(Connection& conn) {
  fts5_api* api = nullptr;
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v2(conn.raw(), "SELECT fts5(?1)", -1, &stmt, nullptr);
  if (rc == SQLITE_OK) {
    sqlite3_bind_pointer(stmt, 1, static_cast<void*>(&api), "fts5_api_ptr", nullptr);
    rc = sqlite3_step(stmt);
    rc = rc == SQLITE_ROW ? SQLITE_OK : rc;
  }
  sqlite3_finalize(stmt);
  if (rc != SQLITE_OK) return conn.error(rc, "looking up FTS5");
  if (api == nullptr || api->iVersion < 2) {
    return Status::unimplemented("this SQLite library has no FTS5 (version 2) extension");
  }
  return api;
}

constexpr int kMaxPhrases = 64;
constexpr double kK1 = 1.2;
constexpr double kB = 0.75;

// BM25 as FTS5's bm25() computes it: `freq[p]` is phrase p's column-weighted count in the row.
double bm25(const double* freq, const double* docs, int n_phrase, std::int64_t rows,
            std::int64_t tokens, std::int64_t doc_len) {
  const double avgdl = rows > 0 ? static_cast<double>(tokens) / static_cast<double>(rows) : 1;
  const double norm = kK1 * (1 - kB + kB * static_cast<double>(doc_len) / (avgdl > 0 ? avgdl : 1));
  double score = 0;
  for (int p = 0; p < n_phrase; ++p) {
    if (freq[p] == 0) continue;
    double idf = std::log((static_cast<double>(rows) - docs[p] + 0.5) / (docs[p] + 0.5));
    if (idf <= 0.0) idf = 1e-6;  // as FTS5: a word in over half the rows still counts a little
    score += idf * (freq[p] * (kK1 + 1)) / (freq[p] + norm);
  }
  return score;
}

// arbor_fts_totals(memories_fts) = "ROWS TOKENS" of the whole table.
void arbor_fts_totals(const Fts5ExtensionApi* api, Fts5Context* fts, sqlite3_context* ctx,
                      int /*argc*/, sqlite3_value** /*argv*/) {
  sqlite3_int64 rows = 0;
  sqlite3_int64 tokens = 0;
  int rc = api->xRowCount(fts, &rows);
  if (rc == SQLITE_OK) rc = api->xColumnTotalSize(fts, -1, &tokens);
  if (rc != SQLITE_OK) {
    sqlite3_result_error_code(ctx, rc);
    return;
  }
  const std::string out = std::to_string(rows) + " " + std::to_string(tokens);
  sqlite3_result_text(ctx, out.c_str(), static_cast<int>(out.size()), SQLITE_TRANSIENT);
}

// FTS5's bm25() with the phrases' document counts passed in (see fts.h).
void arbor_bm25(const Fts5ExtensionApi* api, Fts5Context* fts, sqlite3_context* ctx, int argc,
                sqlite3_value** argv) {
  const int n_phrase = api->xPhraseCount(fts);
  const int n_col = api->xColumnCount(fts);
  if (argc != n_col + n_phrase || n_phrase > kMaxPhrases) {
    sqlite3_result_error(ctx,
                         "arbor_bm25: expected one weight per column and one document "
                         "count per phrase (at most 64 phrases)",
                         -1);
    return;
  }
  // The table totals are the same for every row of this query: read them once.
  auto* totals = static_cast<sqlite3_int64*>(api->xGetAuxdata(fts, 0));
  int rc = SQLITE_OK;
  if (totals == nullptr) {
    totals = static_cast<sqlite3_int64*>(sqlite3_malloc(2 * sizeof(sqlite3_int64)));
    if (totals == nullptr) {
      sqlite3_result_error_nomem(ctx);
      return;
    }
    rc = api->xRowCount(fts, &totals[0]);
    if (rc == SQLITE_OK) rc = api->xColumnTotalSize(fts, -1, &totals[1]);
    if (rc == SQLITE_OK) rc = api->xSetAuxdata(fts, totals, sqlite3_free);
    if (rc != SQLITE_OK) {
      sqlite3_free(totals);
      sqlite3_result_error_code(ctx, rc);
      return;
    }
  }
  const sqlite3_int64 n_rows = totals[0];
  const sqlite3_int64 n_tokens = totals[1];
  int doc_len = 0;
  if (rc == SQLITE_OK) rc = api->xColumnSize(fts, -1, &doc_len);
  int n_inst = 0;
  if (rc == SQLITE_OK) rc = api->xInstCount(fts, &n_inst);
  if (rc != SQLITE_OK) {
    sqlite3_result_error_code(ctx, rc);
    return;
  }
  // Called once per matching row: no allocation.
  double freq[kMaxPhrases] = {};
  double docs[kMaxPhrases] = {};
  for (int i = 0; i < n_inst; ++i) {
    int phrase = 0, col = 0, offset = 0;
    if (api->xInst(fts, i, &phrase, &col, &offset) != SQLITE_OK) continue;
    freq[phrase] += sqlite3_value_double(argv[col]);
  }
  for (int p = 0; p < n_phrase; ++p) docs[p] = sqlite3_value_double(argv[n_col + p]);
  const double score = bm25(freq, docs, n_phrase, n_rows, n_tokens, doc_len);
  sqlite3_result_double(ctx, score);
}

// arbor_tokens(text, tags): the distinct tokens of both, as a JSON array (term_docs triggers).
void arbor_tokens(sqlite3_context* ctx, int /*argc*/, sqlite3_value** argv) {
  auto* conn = static_cast<Connection*>(sqlite3_user_data(ctx));
  StatusOr<const FtsTokenizer*> tokenizer = tokenizer_of(*conn);
  if (!tokenizer.ok()) {
    sqlite3_result_error(ctx, tokenizer.status().message().c_str(), -1);
    return;
  }
  std::set<std::string> tokens;
  for (int i = 0; i < 2; ++i) {
    const auto* text = reinterpret_cast<const char*>(sqlite3_value_text(argv[i]));
    if (text == nullptr) continue;
    const Status s =
        (*tokenizer)
            ->for_each_token(
                std::string_view(text, static_cast<std::size_t>(sqlite3_value_bytes(argv[i]))),
                [&](std::string_view token) { tokens.emplace(token); });
    if (!s.ok()) {
      sqlite3_result_error(ctx, s.message().c_str(), -1);
      return;
    }
  }
  Json array = Json::array();
  for (const std::string& t : tokens) array.push_back(t);
  const std::string out = array.dump();
  sqlite3_result_text(ctx, out.c_str(), static_cast<int>(out.size()), SQLITE_TRANSIENT);
}

}  // namespace

Status register_fts_functions(Connection& conn) {
  const int token_rc =
      sqlite3_create_function(conn.raw(), "arbor_tokens", 2, SQLITE_UTF8 | SQLITE_DETERMINISTIC,
                              &conn, arbor_tokens, nullptr, nullptr);
  if (token_rc != SQLITE_OK) return conn.error(token_rc, "registering arbor_tokens()");
  // Created now rather than from inside arbor_tokens(), in the middle of a statement.
  ARBOR_RETURN_IF_ERROR(tokenizer_of(conn).status());
  ARBOR_ASSIGN_OR_RETURN(fts5_api * api, fts5_api_of(conn));
  int rc = api->xCreateFunction(api, "arbor_bm25", nullptr, arbor_bm25, nullptr);
  if (rc == SQLITE_OK) {
    rc = api->xCreateFunction(api, "arbor_fts_totals", nullptr, arbor_fts_totals, nullptr);
  }
  if (rc != SQLITE_OK) return conn.error(rc, "registering arbor_bm25()");
  return Status();
}

struct FtsTokenizer::Impl {
  fts5_tokenizer api{};
  Fts5Tokenizer* tokenizer = nullptr;
};

FtsTokenizer::FtsTokenizer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

FtsTokenizer::~FtsTokenizer() {
  if (impl_->tokenizer != nullptr) impl_->api.xDelete(impl_->tokenizer);
}

StatusOr<std::unique_ptr<FtsTokenizer>> FtsTokenizer::create(Connection& conn) {
  ARBOR_ASSIGN_OR_RETURN(fts5_api * api, fts5_api_of(conn));
  auto impl = std::make_unique<Impl>();
  void* context = nullptr;
  int rc = api->xFindTokenizer(api, "porter", &context, &impl->api);
  // Must match memories_fts's tokenize='porter unicode61' (schema.cpp).
  const char* args[] = {"unicode61"};
  if (rc == SQLITE_OK) rc = impl->api.xCreate(context, args, 1, &impl->tokenizer);
  if (rc != SQLITE_OK) return conn.error(rc, "creating the FTS5 porter tokenizer");
  return std::unique_ptr<FtsTokenizer>(new FtsTokenizer(std::move(impl)));
}

StatusOr<std::vector<QueryTerm>> FtsTokenizer::tokenize(std::string_view text,
                                                        std::size_t max_terms) const {
  struct Collect {
    std::string_view text;
    std::size_t max_terms;
    std::set<std::string> seen;
    std::vector<QueryTerm> terms;
  } collect{text, max_terms, {}, {}};
  const auto on_token = [](void* ctx, int flags, const char* token, int n_token, int start,
                           int end) -> int {
    auto* c = static_cast<Collect*>(ctx);
    if ((flags & FTS5_TOKEN_COLOCATED) != 0 || c->terms.size() >= c->max_terms) return SQLITE_OK;
    std::string t(token, static_cast<std::size_t>(n_token));
    if (!c->seen.insert(t).second) return SQLITE_OK;
    QueryTerm term;
    term.token = std::move(t);
    term.text = std::string(
        c->text.substr(static_cast<std::size_t>(start), static_cast<std::size_t>(end - start)));
    c->terms.push_back(std::move(term));
    return SQLITE_OK;
  };
  const int rc = impl_->api.xTokenize(impl_->tokenizer, &collect, FTS5_TOKENIZE_QUERY, text.data(),
                                      static_cast<int>(text.size()), on_token);
  if (rc != SQLITE_OK)
    return Status::internal("tokenizing the query failed (" + std::string(sqlite3_errstr(rc)) +
                            ")");
  return std::move(collect.terms);
}

Status FtsTokenizer::for_each_token(std::string_view text,
                                    const std::function<void(std::string_view)>& fn) const {
  const auto on_token = [](void* ctx, int flags, const char* token, int n_token, int /*start*/,
                           int /*end*/) -> int {
    if ((flags & FTS5_TOKEN_COLOCATED) == 0) {
      (*static_cast<const std::function<void(std::string_view)>*>(ctx))(
          std::string_view(token, static_cast<std::size_t>(n_token)));
    }
    return SQLITE_OK;
  };
  const int rc = impl_->api.xTokenize(
      impl_->tokenizer, const_cast<void*>(static_cast<const void*>(&fn)), FTS5_TOKENIZE_DOCUMENT,
      text.data(), static_cast<int>(text.size()), on_token);
  if (rc != SQLITE_OK) {
    return Status::internal("tokenizing a memory failed (" + std::string(sqlite3_errstr(rc)) + ")");
  }
  return Status();
}

StatusOr<const FtsTokenizer*> tokenizer_of(Connection& conn) {
  ARBOR_ASSIGN_OR_RETURN(FtsTokenizer * t, conn.state<FtsTokenizer>([](Connection& c) {
    return FtsTokenizer::create(c);
  }));
  return t;
}

StatusOr<std::vector<QueryTerm>> query_terms(Connection& conn, std::string_view text,
                                             std::size_t max_terms) {
  ARBOR_ASSIGN_OR_RETURN(const FtsTokenizer* tokenizer, tokenizer_of(conn));
  ARBOR_ASSIGN_OR_RETURN(std::vector<QueryTerm> terms, tokenizer->tokenize(text, max_terms));
  ARBOR_ASSIGN_OR_RETURN(Stmt docs, conn.prepare("SELECT docs FROM term_docs WHERE term = ?1"));
  std::vector<QueryTerm> found;
  for (QueryTerm& t : terms) {
    docs.reset();
    docs.bind(1, t.token);
    ARBOR_ASSIGN_OR_RETURN(const bool row, docs.step());
    t.docs = row ? docs.col_int(0) : 0;
    // A '"' would end the quoted MATCH string early (unicode61 never makes one part of a
    // token, so this is a safeguard).
    if (t.text.find('"') == std::string::npos) found.push_back(std::move(t));
  }
  return found;
}

StatusOr<FtsTotals> fts_totals(Connection& conn, const QueryTerm& matching) {
  ARBOR_ASSIGN_OR_RETURN(Stmt stmt, conn.prepare("SELECT arbor_fts_totals(memories_fts) FROM "
                                                 "memories_fts WHERE memories_fts MATCH ?1 "
                                                 "LIMIT 1"));
  stmt.bind(1, "\"" + matching.text + "\"");
  ARBOR_ASSIGN_OR_RETURN(const bool row, stmt.step());
  FtsTotals totals;
  if (row) {
    const std::string text = stmt.col_string(0);
    const auto space = text.find(' ');
    totals.rows = std::stoll(text.substr(0, space));
    totals.tokens = std::stoll(text.substr(space + 1));
  }
  return totals;
}

StatusOr<std::optional<double>> Bm25Scorer::score(std::string_view text,
                                                  std::string_view tags) const {
  const std::size_t n = terms_.size();
  std::vector<double> freq(n, 0.0);
  std::vector<double> docs(n, 0.0);
  for (std::size_t i = 0; i < n; ++i) docs[i] = static_cast<double>(terms_[i].docs);
  std::int64_t doc_len = 0;
  bool matched = false;
  const auto count = [&](double weight) {
    return [&, weight](std::string_view token) {
      ++doc_len;
      for (std::size_t i = 0; i < n; ++i) {
        if (terms_[i].token == token) {
          freq[i] += weight;
          matched = true;
        }
      }
    };
  };
  ARBOR_RETURN_IF_ERROR(tokenizer_.for_each_token(text, count(kTextWeight)));
  ARBOR_RETURN_IF_ERROR(tokenizer_.for_each_token(tags, count(kTagsWeight)));
  if (!matched) return std::optional<double>();
  return std::optional<double>(
      bm25(freq.data(), docs.data(), static_cast<int>(n), totals_.rows, totals_.tokens, doc_len));
}

std::string match_expression(const std::vector<QueryTerm>& terms) {
  std::string expr;
  for (const QueryTerm& t : terms) {
    if (!expr.empty()) expr += " OR ";
    expr += "\"" + t.text + "\"";
  }
  return expr;
}

std::string bm25_call(std::size_t n_terms) {
  std::string call = "arbor_bm25(memories_fts, " + std::to_string(kTextWeight) + ", " +
                     std::to_string(kTagsWeight);
  for (std::size_t i = 0; i < n_terms; ++i) call += ", ?";
  return call + ")";
}

}  // namespace arbor::memory::internal
