#include "search/tree.h"

#include <algorithm>

#include "core/check.h"

namespace arbor::search {

NodeId Tree::add_root(std::string text, ContextPtr context) {
  ARBOR_CHECK(nodes_.empty()) << "the tree already has a root";
  Node root;
  root.id = 0;
  root.kind = "problem";
  root.text = std::move(text);
  root.context = std::move(context);
  nodes_.push_back(std::move(root));
  return 0;
}

NodeId Tree::add_child(NodeId parent, Node node) {
  ARBOR_CHECK(parent >= 0 && static_cast<std::size_t>(parent) < nodes_.size())
      << "no parent node " << parent;
  node.id = static_cast<NodeId>(nodes_.size());
  node.parent = parent;
  node.depth = nodes_[static_cast<std::size_t>(parent)].depth + 1;
  node.children.clear();
  nodes_[static_cast<std::size_t>(parent)].children.push_back(node.id);
  nodes_.push_back(std::move(node));
  return nodes_.back().id;
}

Node& Tree::at(NodeId id) {
  ARBOR_CHECK(id >= 0 && static_cast<std::size_t>(id) < nodes_.size()) << "no node " << id;
  return nodes_[static_cast<std::size_t>(id)];
}

const Node& Tree::at(NodeId id) const {
  ARBOR_CHECK(id >= 0 && static_cast<std::size_t>(id) < nodes_.size()) << "no node " << id;
  return nodes_[static_cast<std::size_t>(id)];
}

std::vector<NodeId> Tree::path(NodeId id) const {
  std::vector<NodeId> out;
  for (NodeId n = id; n != kNoNode; n = at(n).parent) out.push_back(n);
  std::reverse(out.begin(), out.end());
  return out;
}

std::string Tree::solution(NodeId id) const {
  std::vector<const std::string*> parts;
  for (NodeId n = id; n != kNoNode && n != root(); n = at(n).parent) {
    parts.push_back(&at(n).text);
    if (at(n).whole) break;
  }
  std::string s;
  for (auto it = parts.rbegin(); it != parts.rend(); ++it) s += **it;
  return s;
}

void Tree::release_contexts() {
  for (Node& n : nodes_) n.context.reset();
}

Json Tree::to_json() const {
  Json nodes = Json::array();
  Json edges = Json::array();
  for (const Node& n : nodes_) {
    nodes.push_back({{"id", n.id},
                     {"parent", n.parent},
                     {"children", n.children},
                     {"depth", n.depth},
                     {"kind", n.kind},
                     {"whole", n.whole},
                     {"text", n.text},
                     {"rewards", n.rewards},
                     {"visits", n.visits},
                     {"value_sum", n.value_sum},
                     {"value", n.value},
                     {"prior", n.prior},
                     {"terminal", n.terminal},
                     {"answer", n.answer ? Json(*n.answer) : Json(nullptr)},
                     {"tokens", n.tokens},
                     {"logprob", n.logprob},
                     {"finish", finish_name(n.finish)},
                     {"info", n.info}});
    if (n.parent != kNoNode) edges.push_back({n.parent, n.id});
  }
  return {{"nodes", std::move(nodes)}, {"edges", std::move(edges)}};
}

}  // namespace arbor::search
