// Store helpers shared by the memory tests.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "memory/store.h"

namespace arbor::memory::testing {

inline std::unique_ptr<Store> open_store(const std::string& path, StoreOptions o = {}) {
  o.create_if_missing = true;
  auto s = Store::open(path, std::move(o));
  EXPECT_TRUE(s.ok()) << s.status().to_string();
  return s.ok() ? std::move(s).value() : nullptr;
}

inline NewMemory mem(std::string text, std::string kind = "fact", std::string scope = "") {
  NewMemory m;
  m.text = std::move(text);
  m.kind = std::move(kind);
  m.scope = std::move(scope);
  return m;
}

inline Embedding vec(std::vector<float> v, std::string model = "toy") {
  return Embedding{std::move(model), std::move(v)};
}

inline MemoryId add(Store& s, NewMemory m) {
  auto r = s.add(std::move(m)).wait();
  EXPECT_TRUE(r.ok()) << r.status().to_string();
  return r.ok() ? r->id : -1;
}

// Filler memories so that BM25's document frequencies are meaningful.
inline void add_filler(Store& s, int n) {
  std::vector<NewMemory> all;
  for (int i = 0; i < n; ++i) {
    all.push_back(mem("filler note number " + std::to_string(i) + " about nothing in particular"));
  }
  ASSERT_TRUE(s.add_many(std::move(all)).wait().ok());
}

inline std::vector<MemoryId> ids_of(const std::vector<ScoredMemory>& hits) {
  std::vector<MemoryId> ids;
  for (const auto& h : hits) ids.push_back(h.memory.id);
  return ids;
}

}  // namespace arbor::memory::testing
