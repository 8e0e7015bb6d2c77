// memory_bench: insert rate and retrieval latency of memory::Store at 100,000 memories.
//
//   memory_bench [--n 100000] [--queries 1000] [--dim 384] [--dir /tmp]
//
// Builds two databases from the same synthetic memories (10-40 words drawn from a Zipf(1.0)
// vocabulary of 20,000 made-up words, so common words are in most memories, as in prose):
//   text:   memories only                  -> insert rate, FTS-only retrieval latency
//   hybrid: memories + 384-dim vectors     -> insert rate, FTS-only and hybrid latency
// Vectors come from HashingEmbedder, computed before the clock starts. Inserts go through
// Store::add with up to 1024 in flight (the writer commits what is queued together).
// Each query is 4 words of a random stored memory, k = 10, default weights; its latency is the
// wall time of one Store::retrieve(...).wait() from one client thread, query embedding given.
// The first hybrid query (which loads the vectors into RAM) is timed separately. The
// "_after_a_write" figures add one memory (untimed) before each query.
// Prints one JSON document.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "core/check.h"
#include "core/json.h"
#include "core/random.h"
#include "core/strings.h"
#include "memory/hashing_embedder.h"
#include "memory/store.h"

namespace {

using namespace arbor;
using namespace arbor::memory;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

std::vector<std::string> make_vocabulary(Rng& rng, int n) {
  static const char* kOnsets[] = {"b", "d", "f", "g", "k",  "l",  "m",  "n",  "p",  "r",
                                  "s", "t", "v", "z", "br", "st", "tr", "pl", "gr", "sh"};
  static const char* kVowels[] = {"a", "e", "i", "o", "u", "ai", "ou", "ee"};
  std::set<std::string> seen;
  std::vector<std::string> words;
  while (static_cast<int>(words.size()) < n) {
    std::string w;
    const int syllables = 1 + static_cast<int>(rng.below(3));
    for (int s = 0; s < syllables; ++s) {
      w += kOnsets[rng.below(20)];
      w += kVowels[rng.below(8)];
    }
    if (seen.insert(w).second) words.push_back(w);
  }
  return words;
}

class Zipf {
 public:
  Zipf(int n, double s) : cdf_(static_cast<std::size_t>(n)) {
    double total = 0;
    for (int i = 0; i < n; ++i) {
      total += 1.0 / std::pow(i + 1, s);
      cdf_[static_cast<std::size_t>(i)] = total;
    }
    for (double& c : cdf_) c /= total;
  }
  std::size_t sample(Rng& rng) const {
    return static_cast<std::size_t>(std::lower_bound(cdf_.begin(), cdf_.end(), rng.uniform_f64()) -
                                    cdf_.begin());
  }

 private:
  std::vector<double> cdf_;
};

struct Latency {
  double p50_ms = 0, p99_ms = 0, mean_ms = 0, max_ms = 0;
};

Latency summarize(std::vector<double> ms) {
  std::sort(ms.begin(), ms.end());
  Latency l;
  const auto at = [&](double q) {
    return ms[std::min(ms.size() - 1,
                       static_cast<std::size_t>(q * static_cast<double>(ms.size())))];
  };
  l.p50_ms = at(0.50);
  l.p99_ms = at(0.99);
  l.max_ms = ms.back();
  for (double x : ms) l.mean_ms += x / static_cast<double>(ms.size());
  return l;
}

Json latency_json(const Latency& l) {
  return {{"p50_ms", l.p50_ms}, {"p99_ms", l.p99_ms}, {"mean_ms", l.mean_ms}, {"max_ms", l.max_ms}};
}

std::unique_ptr<Store> fresh_store(const std::string& path) {
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
  StoreOptions o;
  o.create_if_missing = true;
  auto s = Store::open(path, o);
  ARBOR_CHECK(s.ok()) << s.status().to_string();
  return std::move(s).value();
}

// Inserts every memory through Store::add with at most `window` in flight; returns seconds.
double insert_all(Store& store, const std::vector<std::string>& texts,
                  const std::vector<Embedding>* vectors) {
  constexpr std::size_t kWindow = 1024;
  std::deque<Pending<AddResult>> in_flight;
  const auto t0 = Clock::now();
  for (std::size_t i = 0; i < texts.size(); ++i) {
    NewMemory m;
    m.kind = (i % 3 == 0) ? "reflection" : "fact";
    m.scope = "task:" + std::to_string(i % 50);
    m.text = texts[i];
    if (vectors) m.embedding = (*vectors)[i];
    in_flight.push_back(store.add(std::move(m)));
    if (in_flight.size() >= kWindow) {
      auto r = std::move(in_flight.front()).wait();
      ARBOR_CHECK(r.ok()) << r.status().to_string();
      in_flight.pop_front();
    }
  }
  while (!in_flight.empty()) {
    auto r = std::move(in_flight.front()).wait();
    ARBOR_CHECK(r.ok()) << r.status().to_string();
    in_flight.pop_front();
  }
  return seconds_since(t0);
}

// With `write_between`, one memory is added (and committed) before each query, untimed: the
// query then runs on a database that changed, as an agent's does (the per-connection word
// count cache is invalidated, the vector cache applies the new vector).
std::vector<double> time_queries(Store& store, const std::vector<std::string>& queries,
                                 const std::vector<Embedding>* embeddings, std::size_t* hits,
                                 bool write_between = false) {
  std::vector<double> ms;
  for (std::size_t i = 0; i < queries.size(); ++i) {
    if (write_between) {
      NewMemory m;
      m.text = queries[i] + " written between queries " + std::to_string(i);
      if (embeddings) m.embedding = (*embeddings)[i];
      auto r = store.add(std::move(m)).wait();
      ARBOR_CHECK(r.ok()) << r.status().to_string();
    }
    Query q;
    q.text = queries[i];
    q.k = 10;
    if (embeddings) q.embedding = (*embeddings)[i];
    const auto t0 = Clock::now();
    auto r = store.retrieve(std::move(q)).wait();
    ms.push_back(seconds_since(t0) * 1000);
    ARBOR_CHECK(r.ok()) << r.status().to_string();
    *hits += r->size();
  }
  return ms;
}

}  // namespace

int main(int argc, char** argv) {
  int n = 100000, n_queries = 1000, dim = 384;
  std::string dir = "/tmp";
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--n")
      n = std::atoi(argv[i + 1]);
    else if (flag == "--queries")
      n_queries = std::atoi(argv[i + 1]);
    else if (flag == "--dim")
      dim = std::atoi(argv[i + 1]);
    else if (flag == "--dir")
      dir = argv[i + 1];
    else {
      std::fprintf(stderr, "usage: memory_bench [--n N] [--queries Q] [--dim D] [--dir DIR]\n");
      return 2;
    }
  }
  Rng rng(42);
  const std::vector<std::string> vocab = make_vocabulary(rng, 20000);
  const Zipf zipf(static_cast<int>(vocab.size()), 1.0);
  std::vector<std::string> texts;
  texts.reserve(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    const int len = 10 + static_cast<int>(rng.below(31));
    std::string t;
    for (int w = 0; w < len; ++w) {
      if (w) t += ' ';
      t += vocab[zipf.sample(rng)];
    }
    texts.push_back(std::move(t));
  }
  std::vector<std::string> queries;
  for (int i = 0; i < n_queries + 1; ++i) {
    const std::vector<std::string> words = split(texts[rng.below(texts.size())], ' ');
    std::string q;
    for (int w = 0; w < 4; ++w) {
      if (w) q += ' ';
      q += words[rng.below(words.size())];
    }
    queries.push_back(std::move(q));
  }
  const HashingEmbedder embedder(dim);
  std::vector<Embedding> vectors, query_vectors;
  vectors.reserve(texts.size());
  for (const std::string& t : texts) vectors.push_back(embedder.embed_one(t));
  for (const std::string& q : queries) query_vectors.push_back(embedder.embed_one(q));
  const std::vector<std::string> warm_query(queries.begin(), queries.begin() + 1);
  const std::vector<Embedding> warm_vector(query_vectors.begin(), query_vectors.begin() + 1);
  queries.erase(queries.begin());
  query_vectors.erase(query_vectors.begin());

  Json out;
  out["n"] = n;
  out["queries"] = n_queries;
  out["dim"] = dim;
  std::size_t hits = 0;
  {
    const std::string path = dir + "/arbor_memory_bench_text.db";
    auto store = fresh_store(path);
    const double s = insert_all(*store, texts, nullptr);
    out["text_db"]["insert_s"] = s;
    out["text_db"]["insert_per_s"] = n / s;
    time_queries(*store, warm_query, nullptr, &hits);
    out["text_db"]["fts"] = latency_json(summarize(time_queries(*store, queries, nullptr, &hits)));
    out["text_db"]["fts_after_a_write"] =
        latency_json(summarize(time_queries(*store, queries, nullptr, &hits, true)));
    out["text_db"]["file_bytes"] = store->stats().wait()->file_bytes;
  }
  {
    const std::string path = dir + "/arbor_memory_bench_hybrid.db";
    auto store = fresh_store(path);
    const double s = insert_all(*store, texts, &vectors);
    out["hybrid_db"]["insert_s"] = s;
    out["hybrid_db"]["insert_per_s"] = n / s;
    std::vector<double> load = time_queries(*store, warm_query, &warm_vector, &hits);
    out["hybrid_db"]["first_hybrid_query_ms"] = load[0];
    out["hybrid_db"]["fts"] =
        latency_json(summarize(time_queries(*store, queries, nullptr, &hits)));
    out["hybrid_db"]["hybrid"] =
        latency_json(summarize(time_queries(*store, queries, &query_vectors, &hits)));
    out["hybrid_db"]["hybrid_after_a_write"] =
        latency_json(summarize(time_queries(*store, queries, &query_vectors, &hits, true)));
    auto stats = store->stats().wait();
    out["hybrid_db"]["file_bytes"] = stats->file_bytes + stats->wal_bytes;
  }
  out["mean_hits_per_query"] = static_cast<double>(hits) / (5.0 * n_queries + 2);
  std::printf("%s\n", out.dump(2).c_str());
  return 0;
}
