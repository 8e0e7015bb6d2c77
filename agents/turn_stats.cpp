#include "agents/turn_stats.h"

#include <algorithm>

#include "core/check.h"

namespace arbor::agents {

std::vector<std::vector<std::optional<std::string>>> answer_chains(const search::Tree& tree) {
  std::vector<std::vector<std::optional<std::string>>> out;
  if (tree.empty()) return out;
  for (search::NodeId first : tree.at(tree.root()).children) {
    const search::Node& head = tree.at(first);
    if (!head.whole || head.kind != "answer") continue;
    std::vector<std::optional<std::string>> chain;
    search::NodeId id = first;
    while (true) {
      const search::Node& n = tree.at(id);
      chain.push_back(n.answer);
      search::NodeId next = search::kNoNode;
      for (search::NodeId c : n.children) {
        if (tree.at(c).whole && tree.at(c).kind == "answer") {
          next = c;
          break;
        }
      }
      if (next == search::kNoNode) break;
      id = next;
    }
    out.push_back(std::move(chain));
  }
  return out;
}

bool has_answer_chains(std::string_view algorithm) {
  return algorithm == "self_refine" || algorithm == "sets";
}

Json chains_json(const search::SearchResult& result, const search::CorrectFn& is_correct) {
  Json out = Json::array();
  for (const auto& chain : answer_chains(result.tree)) {
    Json c = Json::array();
    for (const auto& a : chain) c.push_back(a.has_value() && is_correct(*a));
    out.push_back(std::move(c));
  }
  return out;
}

void TurnStats::add(const search::SearchResult& result, const search::CorrectFn& is_correct) {
  add_json(chains_json(result, is_correct));
}

void TurnStats::add_json(const Json& chains) {
  if (!chains.is_array()) return;
  for (const Json& c : chains) {
    if (!c.is_array() || c.empty()) continue;
    std::vector<bool> correct;
    for (const Json& b : c) correct.push_back(b.is_boolean() && b.get<bool>());
    add_chain(correct);
  }
}

void TurnStats::add_chain(const std::vector<bool>& correct) {
  ARBOR_CHECK(!correct.empty());
  chains_.push_back(correct);
}

std::int32_t TurnStats::turns() const {
  std::size_t n = 0;
  for (const auto& c : chains_) n = std::max(n, c.size());
  return static_cast<std::int32_t>(n);
}

bool TurnStats::at(std::size_t chain, std::int32_t turn) const {
  const auto& c = chains_[chain];
  return c[std::min(static_cast<std::size_t>(turn), c.size() - 1)];
}

double TurnStats::accuracy(std::int32_t turn) const {
  if (chains_.empty()) return 0;
  std::int64_t right = 0;
  for (std::size_t i = 0; i < chains_.size(); ++i) right += at(i, turn) ? 1 : 0;
  return static_cast<double>(right) / static_cast<double>(chains_.size());
}

std::int64_t TurnStats::revised(std::int32_t turn) const {
  std::int64_t n = 0;
  for (const auto& c : chains_) n += turn >= 1 && static_cast<std::size_t>(turn) < c.size();
  return n;
}

std::int64_t TurnStats::correct_to_incorrect(std::int32_t turn) const {
  std::int64_t n = 0;
  if (turn < 1) return 0;
  for (std::size_t i = 0; i < chains_.size(); ++i) n += at(i, turn - 1) && !at(i, turn);
  return n;
}

std::int64_t TurnStats::incorrect_to_correct(std::int32_t turn) const {
  std::int64_t n = 0;
  if (turn < 1) return 0;
  for (std::size_t i = 0; i < chains_.size(); ++i) n += !at(i, turn - 1) && at(i, turn);
  return n;
}

Json TurnStats::to_json() const {
  Json turns = Json::array();
  std::int64_t broken = 0, fixed = 0;
  const std::int32_t n = this->turns();
  for (std::int32_t t = 0; t < n; ++t) {
    Json j = {{"turn", t}, {"accuracy", accuracy(t)}};
    if (t >= 1) {
      j["revised"] = revised(t);
      j["correct_to_incorrect"] = correct_to_incorrect(t);
      j["incorrect_to_correct"] = incorrect_to_correct(t);
      broken += correct_to_incorrect(t);
      fixed += incorrect_to_correct(t);
    }
    turns.push_back(std::move(j));
  }
  return {{"chains", chains()},
          {"first_accuracy", n > 0 ? accuracy(0) : 0.0},
          {"final_accuracy", n > 0 ? accuracy(n - 1) : 0.0},
          {"broken", broken},
          {"fixed", fixed},
          {"turns", std::move(turns)}};
}

}  // namespace arbor::agents
