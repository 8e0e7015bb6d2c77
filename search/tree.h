// Tree: the node record every search uses, for whole-answer nodes (MCTSr, SETS: a child is a
// complete rewritten solution) and reasoning-step nodes (beam search, step-level MCTS, ToT: a
// child adds one step), and its JSON export.
//
// Node 0 is the root: the problem in the solve prompt. Node ids are indices, assigned in the
// order an algorithm adds nodes (after each round, in request order, never in completion
// order), so a seed reproduces the ids too.
//
// Thread safety: none; a tree belongs to one search (one strand).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/json.h"
#include "search/language_model.h"

namespace arbor::search {

using NodeId = std::int32_t;
constexpr NodeId kNoNode = -1;

struct Node {
  NodeId id = kNoNode;
  NodeId parent = kNoNode;
  std::vector<NodeId> children;
  std::int32_t depth = 0;
  std::string kind;  // "problem", "step", "answer", "dummy", ...
  // The node's text is a whole solution by itself (whole-answer searches) rather than the
  // next step of its parent's.
  bool whole = false;
  // What the node adds to its parent's text as the model saw it: one step with its delimiter
  // ("37 + 48 = 85\n"), or a whole answer.
  std::string text;
  ContextPtr context;                 // the model context at the end of `text`; null once released
  std::vector<double> rewards;        // reward samples (self-rewards, verifier or PRM scores)
  std::int32_t visits = 0;            // MCTS visits (MCTSr: the number of reward samples)
  double value_sum = 0;               // MCTS: sum of the values backed up through the node
  double value = 0;                   // the node's value as its algorithm defines it
  double prior = 0;                   // PUCT prior
  bool terminal = false;              // ends a solution (an answer, end of text, or a depth limit)
  std::optional<std::string> answer;  // the final answer extracted from the node's solution
  std::int64_t tokens = 0;            // tokens generated to make this node
  double logprob = 0;                 // of `text` under the model (sum over its tokens)
  Finish finish = Finish::kStop;
  Json info = Json::object();  // algorithm-specific details (a critique, a verdict, a rollout)
};

class Tree {
 public:
  // Creates the root (id 0). REQUIRES: the tree is empty.
  NodeId add_root(std::string text, ContextPtr context);
  // Adds `node` under `parent`, setting its id, parent and depth. REQUIRES: parent exists.
  NodeId add_child(NodeId parent, Node node);

  Node& at(NodeId id);
  const Node& at(NodeId id) const;
  std::size_t size() const { return nodes_.size(); }
  bool empty() const { return nodes_.empty(); }
  NodeId root() const { return 0; }
  const std::vector<Node>& nodes() const { return nodes_; }

  // Ids from the root to `id`, both included.
  std::vector<NodeId> path(NodeId id) const;
  // The solution `id` stands for: a whole node's own text; for a step node, the texts from the
  // root (or the nearest whole ancestor) down to it.
  std::string solution(NodeId id) const;

  // Drops every node's model context (states held by the model are released).
  void release_contexts();

  // {"nodes": [{id, parent, children, depth, kind, whole, text, rewards, visits, value_sum, value,
  //  prior, terminal, answer (null when none), tokens, logprob, finish, info}, ...],
  //  "edges": [[parent, child], ...]}
  Json to_json() const;

 private:
  std::vector<Node> nodes_;
};

}  // namespace arbor::search
