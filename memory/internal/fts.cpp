#include "memory/internal/fts.h"

#include <sqlite3.h>

#include <cmath>
#include <cstring>
#include <set>

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

// FTS5's bm25() with the phrases' document counts passed in (see fts.h).
void arbor_bm25(const Fts5ExtensionApi* api, Fts5Context* fts, sqlite3_context* ctx, int argc,
                sqlite3_value** argv) {
  constexpr double kK1 = 1.2;
  constexpr double kB = 0.75;
  const int n_phrase = api->xPhraseCount(fts);
  const int n_col = api->xColumnCount(fts);
  if (argc != n_col + n_phrase) {
    sqlite3_result_error(ctx, "arbor_bm25: expected one weight per column and one document "
                         "count per phrase", -1);
    return;
  }
  sqlite3_int64 n_rows = 0;
  sqlite3_int64 n_tokens = 0;
  int rc = api->xRowCount(fts, &n_rows);
  if (rc == SQLITE_OK) rc = api->xColumnTotalSize(fts, -1, &n_tokens);
  int doc_len = 0;
  if (rc == SQLITE_OK) rc = api->xColumnSize(fts, -1, &doc_len);
  int n_inst = 0;
  if (rc == SQLITE_OK) rc = api->xInstCount(fts, &n_inst);
  if (rc != SQLITE_OK) {
    sqlite3_result_error_code(ctx, rc);
    return;
  }
  double freq_small[16] = {0};
  std::vector<double> freq_big;
  double* freq = freq_small;
  if (n_phrase > 16) {
    freq_big.assign(static_cast<std::size_t>(n_phrase), 0.0);
    freq = freq_big.data();
  }
  for (int i = 0; i < n_inst; ++i) {
    int phrase = 0, col = 0, offset = 0;
    if (api->xInst(fts, i, &phrase, &col, &offset) != SQLITE_OK) continue;
    freq[phrase] += sqlite3_value_double(argv[col]);
  }
  const double avgdl = n_rows > 0 ? static_cast<double>(n_tokens) / static_cast<double>(n_rows) : 1;
  const double norm = kK1 * (1 - kB + kB * doc_len / (avgdl > 0 ? avgdl : 1));
  double score = 0;
  for (int p = 0; p < n_phrase; ++p) {
    if (freq[p] == 0) continue;
    const double df = sqlite3_value_double(argv[n_col + p]);
    double idf = std::log((static_cast<double>(n_rows) - df + 0.5) / (df + 0.5));
    if (idf <= 0.0) idf = 1e-6;  // as FTS5: a word in over half the rows still counts a little
    score += idf * (freq[p] * (kK1 + 1)) / (freq[p] + norm);
  }
  sqlite3_result_double(ctx, score);
}

}  // namespace

Status register_fts_functions(Connection& conn) {
  ARBOR_ASSIGN_OR_RETURN(fts5_api * api, fts5_api_of(conn));
  const int rc = api->xCreateFunction(api, "arbor_bm25", nullptr, arbor_bm25, nullptr);
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
    term.text = std::string(c->text.substr(static_cast<std::size_t>(start),
                                           static_cast<std::size_t>(end - start)));
    c->terms.push_back(std::move(term));
    return SQLITE_OK;
  };
  const int rc = impl_->api.xTokenize(impl_->tokenizer, &collect, FTS5_TOKENIZE_QUERY,
                                      text.data(), static_cast<int>(text.size()), on_token);
  if (rc != SQLITE_OK) return Status::internal("tokenizing the query failed (" +
                                               std::string(sqlite3_errstr(rc)) + ")");
  return std::move(collect.terms);
}

StatusOr<std::vector<QueryTerm>> query_terms(Connection& conn, std::string_view text,
                                             std::size_t max_terms) {
  ARBOR_ASSIGN_OR_RETURN(FtsTokenizer * tokenizer,
                         conn.state<FtsTokenizer>([](Connection& c) {
                           return FtsTokenizer::create(c);
                         }));
  ARBOR_ASSIGN_OR_RETURN(std::vector<QueryTerm> terms, tokenizer->tokenize(text, max_terms));
  ARBOR_ASSIGN_OR_RETURN(Stmt docs,
                         conn.prepare("SELECT doc FROM memories_vocab WHERE term = ?1"));
  std::vector<QueryTerm> found;
  for (QueryTerm& t : terms) {
    docs.bind(1, t.token);
    ARBOR_ASSIGN_OR_RETURN(const bool row, docs.step());
    t.docs = row ? docs.col_int(0) : 0;
    docs.reset();
    // A '"' would end the quoted MATCH string early (unicode61 never makes one part of a
    // token, so this is a safeguard).
    if (t.text.find('"') == std::string::npos) found.push_back(std::move(t));
  }
  return found;
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
