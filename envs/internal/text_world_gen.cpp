#include "envs/internal/text_world_gen.h"

#include <algorithm>
#include <array>
#include <deque>
#include <map>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "core/check.h"
#include "core/random.h"

namespace arbor::envs::internal {
namespace {

constexpr std::array<const char*, 20> kRoomNames = {
    "kitchen", "hallway", "bedroom",  "library", "attic",   "cellar",     "garden",
    "study",   "pantry",  "bathroom", "garage",  "porch",   "office",     "workshop",
    "nursery", "lounge",  "studio",   "gallery", "laundry", "dining room"};
constexpr std::array<const char*, 24> kMaterials = {
    "oak",   "iron",  "brass",  "copper",  "steel",  "pine",   "glass",  "stone",
    "maple", "birch", "marble", "bronze",  "cedar",  "walnut", "tin",    "silver",
    "ivory", "jade",  "ebony",  "granite", "cherry", "teak",   "willow", "slate"};
constexpr std::array<const char*, 6> kContainerKinds = {"chest", "cabinet", "crate",
                                                        "trunk", "locker",  "wardrobe"};
constexpr std::array<const char*, 12> kItemAdjectives = {"golden", "red",   "blue",  "old",
                                                         "small",  "shiny", "dusty", "green",
                                                         "black",  "white", "tiny",  "striped"};
constexpr std::array<const char*, 12> kItemNouns = {"coin", "apple", "book",   "lamp",
                                                    "ring", "map",   "candle", "cup",
                                                    "hat",  "scarf", "shell",  "bottle"};
constexpr std::array<std::array<int, 2>, kDirections> kDelta = {{{0, 1}, {1, 0}, {0, -1}, {-1, 0}}};

int pick(Rng& rng, int n) {
  return static_cast<int>(rng.below(static_cast<std::uint64_t>(n)));
}

template <typename T>
void shuffle(std::vector<T>& v, Rng& rng) {
  for (std::size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[rng.below(i)]);
}

}  // namespace

TwWorld tw_generate(const TextWorldConfig& config, std::uint64_t seed) {
  Rng rng(seed ^ 0x7e57d00dull);
  TwWorld w;
  const int n = config.rooms;

  // Rooms on a grid, grown as a tree from room 0: every room's parent has a smaller index.
  std::map<std::pair<int, int>, int> at;
  std::vector<std::pair<int, int>> pos = {{0, 0}};
  std::vector<int> parent = {-1}, parent_dir = {-1};
  at[{0, 0}] = 0;
  w.rooms.resize(1);
  while (static_cast<int>(w.rooms.size()) < n) {
    const int r = pick(rng, static_cast<int>(w.rooms.size()));
    const int d = pick(rng, kDirections);
    const std::pair<int, int> cell = {pos[static_cast<std::size_t>(r)].first + kDelta[d][0],
                                      pos[static_cast<std::size_t>(r)].second + kDelta[d][1]};
    if (at.count(cell))
      continue;
    const int c = static_cast<int>(w.rooms.size());
    at[cell] = c;
    pos.push_back(cell);
    parent.push_back(r);
    parent_dir.push_back(d);
    w.rooms.emplace_back();
    w.rooms[static_cast<std::size_t>(r)].exits[d].to = c;
    w.rooms[static_cast<std::size_t>(c)].exits[opposite(d)].to = r;
  }
  std::vector<int> names(kRoomNames.size());
  for (std::size_t i = 0; i < names.size(); ++i) names[i] = static_cast<int>(i);
  shuffle(names, rng);
  for (int r = 0; r < n; ++r)
    w.rooms[static_cast<std::size_t>(r)].name =
        kRoomNames[static_cast<std::size_t>(names[static_cast<std::size_t>(r)])];

  std::vector<int> materials(kMaterials.size());
  for (std::size_t i = 0; i < materials.size(); ++i) materials[i] = static_cast<int>(i);
  shuffle(materials, rng);
  std::size_t next_material = 0;
  const auto material = [&] {
    return std::string(kMaterials[static_cast<std::size_t>(materials[next_material++])]);
  };

  // Doors on tree edges, identified by their child room.
  std::vector<int> children;
  for (int c = 1; c < n; ++c) children.push_back(c);
  shuffle(children, rng);
  std::vector<int> locked_door_rooms;
  std::vector<Lock> door_states;
  std::vector<int> door_material;
  for (std::size_t k = 0; k < children.size(); ++k) {
    const bool locked = static_cast<int>(k) < config.locked_doors;
    const bool closed = !locked && static_cast<int>(k) < config.locked_doors + config.closed_doors;
    if (!locked && !closed)
      continue;
    const int c = children[k];
    const int d = static_cast<int>(w.doors.size());
    w.doors.push_back({material() + " door", -1});
    door_states.push_back(locked ? Lock::kLocked : Lock::kClosed);
    const int p = parent[static_cast<std::size_t>(c)];
    const int dir = parent_dir[static_cast<std::size_t>(c)];
    w.rooms[static_cast<std::size_t>(p)].exits[dir].door = d;
    w.rooms[static_cast<std::size_t>(c)].exits[opposite(dir)].door = d;
    if (locked)
      locked_door_rooms.push_back(c);
  }

  // Containers in random rooms; the first `locked_containers` of them locked.
  std::vector<Lock> container_states;
  for (int k = 0; k < config.containers; ++k) {
    const int room = pick(rng, n);
    const std::string m = material();
    w.containers.push_back(
        {m + " " + kContainerKinds[rng.below(kContainerKinds.size())], room, -1});
    if (k < config.locked_containers) {
      container_states.push_back(Lock::kLocked);
    } else {
      container_states.push_back(rng.below(3) == 0 ? Lock::kOpen : Lock::kClosed);
    }
  }

  std::vector<std::int16_t> item_loc;
  const auto add_item = [&](std::string name, bool is_key, int loc) {
    w.items.push_back({std::move(name), is_key});
    item_loc.push_back(static_cast<std::int16_t>(loc));
    return static_cast<int>(w.items.size()) - 1;
  };

  // Keys, lock by lock in the order the player can meet them: a lock whose room is earlier in
  // the tree first, a door before the containers behind it. A key lies in a room before the
  // lock (for a container: up to its own room), on the floor or in a container that is
  // unlocked or whose key was placed already, so no key is ever behind its own lock.
  struct PendingLock {
    int bound;  // rooms < bound may hold the key
    int order;  // door before container at the same room
    bool is_door;
    int index;
  };
  std::vector<PendingLock> locks;
  for (std::size_t d = 0; d < w.doors.size(); ++d) {
    if (door_states[d] == Lock::kLocked) {
      // The door's child room: the one of its two rooms with the larger index.
      int child = -1;
      for (int r = 0; r < n; ++r) {
        for (const TwExit& e : w.rooms[static_cast<std::size_t>(r)].exits) {
          if (e.door == static_cast<int>(d))
            child = std::max(child, r);
        }
      }
      locks.push_back({child, 0, true, static_cast<int>(d)});
    }
  }
  for (std::size_t c = 0; c < w.containers.size(); ++c) {
    if (container_states[c] == Lock::kLocked) {
      locks.push_back({w.containers[c].room + 1, 1, false, static_cast<int>(c)});
    }
  }
  std::sort(locks.begin(), locks.end(), [](const PendingLock& a, const PendingLock& b) {
    return std::tie(a.bound, a.order, a.index) < std::tie(b.bound, b.order, b.index);
  });
  std::vector<bool> resolved(w.containers.size());
  for (std::size_t c = 0; c < w.containers.size(); ++c)
    resolved[c] = container_states[c] != Lock::kLocked;
  for (const PendingLock& lock : locks) {
    std::vector<int> spots;  // room r, or kInContainer + c
    for (int r = 0; r < lock.bound; ++r) spots.push_back(r);
    for (std::size_t c = 0; c < w.containers.size(); ++c) {
      const bool self = !lock.is_door && static_cast<int>(c) == lock.index;
      if (!self && resolved[c] && w.containers[c].room < lock.bound) {
        spots.push_back(kInContainer + static_cast<int>(c));
      }
    }
    const int spot = spots[rng.below(spots.size())];
    const std::string& lock_name = lock.is_door
                                       ? w.doors[static_cast<std::size_t>(lock.index)].name
                                       : w.containers[static_cast<std::size_t>(lock.index)].name;
    const int key = add_item(lock_name.substr(0, lock_name.find(' ')) + " key", true, spot);
    if (lock.is_door) {
      w.doors[static_cast<std::size_t>(lock.index)].key = key;
    } else {
      w.containers[static_cast<std::size_t>(lock.index)].key = key;
      resolved[static_cast<std::size_t>(lock.index)] = true;
    }
  }

  // Item names: distinct adjective-noun pairs.
  std::vector<int> combos(kItemAdjectives.size() * kItemNouns.size());
  for (std::size_t i = 0; i < combos.size(); ++i) combos[i] = static_cast<int>(i);
  shuffle(combos, rng);
  std::size_t next_combo = 0;
  const auto item_name = [&] {
    const int k = combos[next_combo++];
    return std::string(kItemAdjectives[static_cast<std::size_t>(k) / kItemNouns.size()]) + " " +
           kItemNouns[static_cast<std::size_t>(k) % kItemNouns.size()];
  };

  // The goal: an item deep in the map, and (for "put" goals) a container elsewhere.
  const int goal_room = n == 1 ? 0 : n / 2 + pick(rng, n - n / 2);
  std::vector<int> goal_boxes;
  for (std::size_t c = 0; c < w.containers.size(); ++c) {
    if (w.containers[c].room == goal_room)
      goal_boxes.push_back(static_cast<int>(c));
  }
  w.goal_container = -1;
  if (config.put_goal && !w.containers.empty()) {
    w.goal_container = pick(rng, static_cast<int>(w.containers.size()));
  }
  int goal_loc = goal_room;
  if (!goal_boxes.empty() && rng.below(2) == 0) {
    const int c = goal_boxes[rng.below(goal_boxes.size())];
    if (c != w.goal_container)
      goal_loc = kInContainer + c;
  }
  w.goal_item = add_item(item_name(), false, goal_loc);
  for (int k = 0; k < config.distractors; ++k) {
    int loc = pick(rng, n);
    if (!w.containers.empty() && rng.below(3) == 0) {
      loc = kInContainer + pick(rng, static_cast<int>(w.containers.size()));
    }
    add_item(item_name(), false, loc);
  }

  const std::string goal_name = w.items[static_cast<std::size_t>(w.goal_item)].name;
  if (w.goal_container >= 0) {
    const TwContainer& box = w.containers[static_cast<std::size_t>(w.goal_container)];
    w.objective = "Find the " + goal_name + " and put it in the " + box.name + " in the " +
                  w.rooms[static_cast<std::size_t>(box.room)].name + ".";
  } else {
    w.objective = "Find the " + goal_name + " and take it.";
  }
  w.initial.room = 0;
  w.initial.doors = door_states;
  w.initial.containers = container_states;
  w.initial.items = item_loc;
  w.initial.won = tw_goal_met(w, w.initial);
  return w;
}

namespace {

std::string encode(const TwState& s) {
  std::string key;
  key.reserve(1 + s.doors.size() + s.containers.size() + 2 * s.items.size());
  key += static_cast<char>(s.room);
  for (Lock l : s.doors) key += static_cast<char>(l);
  for (Lock l : s.containers) key += static_cast<char>(l);
  for (std::int16_t i : s.items) {
    key += static_cast<char>(i & 0xff);
    key += static_cast<char>((i >> 8) & 0xff);
  }
  return key;
}

bool helps(const TwWorld& w, const TwAction& a) {
  switch (a.verb) {
    case TwVerb::kGo:
    case TwVerb::kOpenDoor:
    case TwVerb::kOpenContainer:
    case TwVerb::kUnlockDoor:
    case TwVerb::kUnlockContainer:
      return true;
    case TwVerb::kTake:
      return a.a == w.goal_item || w.items[static_cast<std::size_t>(a.a)].is_key;
    case TwVerb::kPut:
      return a.a == w.goal_item && a.b == w.goal_container;
    default:
      return false;
  }
}

}  // namespace

namespace {

// The pruned search works on a packed state: which doors and containers are open, closed or
// locked (2 bits each) and, for every key and the goal item, whether it is still where it lay
// when the search started, held, or (the goal item) in the goal container. Nothing else can
// change along a plan that only moves, opens, unlocks, takes keys and the goal, and puts the
// goal in place.
struct Packed {
  std::uint64_t lo = 0;  // room (5 bits) | doors (2 bits each, from bit 5)
  std::uint64_t hi = 0;  // containers (2 bits each) | items (2 bits each, from bit 24)
  bool operator==(const Packed& o) const { return lo == o.lo && hi == o.hi; }
};

struct PackedHash {
  std::size_t operator()(const Packed& p) const {
    std::uint64_t h = p.lo * 0x9e3779b97f4a7c15ull ^ (p.hi + 0x632be59bd9b4e019ull);
    h ^= h >> 29;
    h *= 0xbf58476d1ce4e5b9ull;
    return static_cast<std::size_t>(h ^ (h >> 32));
  }
};

enum ItemPhase : std::uint64_t { kAtOrigin = 0, kHeld = 1, kPlaced = 2 };

class FastSolver {
 public:
  FastSolver(const TwWorld& w, const TwState& s) : w_(w), s0_(s) {
    for (std::size_t i = 0; i < w.items.size(); ++i) {
      if (w.items[i].is_key || static_cast<int>(i) == w.goal_item) {
        slot_of_[i] = static_cast<int>(relevant_.size());
        relevant_.push_back(static_cast<int>(i));
      }
    }
  }

  bool fits() const {
    return w_.rooms.size() <= 31 && w_.doors.size() <= 29 && w_.containers.size() <= 12 &&
           relevant_.size() <= 20;
  }

  std::optional<std::vector<TwAction>> run() {
    Packed start;
    start.lo = s0_.room;
    for (std::size_t d = 0; d < s0_.doors.size(); ++d) {
      start.lo |= static_cast<std::uint64_t>(s0_.doors[d]) << (5 + 2 * d);
    }
    for (std::size_t c = 0; c < s0_.containers.size(); ++c) {
      start.hi |= static_cast<std::uint64_t>(s0_.containers[c]) << (2 * c);
    }
    for (std::size_t k = 0; k < relevant_.size(); ++k) {
      const int at = s0_.items[static_cast<std::size_t>(relevant_[k])];
      std::uint64_t phase = at == kInInventory ? kHeld : kAtOrigin;
      if (relevant_[k] == w_.goal_item && w_.goal_container >= 0 &&
          at == kInContainer + w_.goal_container) {
        phase = kPlaced;
      }
      start.hi |= phase << (24 + 2 * k);
    }
    if (won(start))
      return std::vector<TwAction>{};
    nodes_.push_back({start, -1, {TwVerb::kLook}});
    seen_.emplace(start);
    for (std::size_t head = 0; head < nodes_.size(); ++head) {
      const Packed p = nodes_[head].state;
      const int room = static_cast<int>(p.lo & 31);
      const TwRoom& r = w_.rooms[static_cast<std::size_t>(room)];
      for (int d = 0; d < kDirections; ++d) {
        const TwExit& e = r.exits[static_cast<std::size_t>(d)];
        if (e.to < 0)
          continue;
        if (e.door < 0 || door(p, e.door) == Lock::kOpen) {
          Packed q = p;
          q.lo = (q.lo & ~std::uint64_t{31}) | static_cast<std::uint64_t>(e.to);
          if (push(q, head, {TwVerb::kGo, d}))
            return plan();
        } else if (door(p, e.door) == Lock::kClosed) {
          Packed q = p;
          set_door(q, e.door, Lock::kOpen);
          if (push(q, head, {TwVerb::kOpenDoor, e.door}))
            return plan();
        } else {
          const int key = w_.doors[static_cast<std::size_t>(e.door)].key;
          if (held(p, key)) {
            Packed q = p;
            set_door(q, e.door, Lock::kClosed);
            if (push(q, head, {TwVerb::kUnlockDoor, e.door, key}))
              return plan();
          }
        }
      }
      for (std::size_t c = 0; c < w_.containers.size(); ++c) {
        if (w_.containers[c].room != room || !useful_box(p, static_cast<int>(c)))
          continue;
        const Lock l = box(p, static_cast<int>(c));
        if (l == Lock::kClosed) {
          Packed q = p;
          set_box(q, static_cast<int>(c), Lock::kOpen);
          if (push(q, head, {TwVerb::kOpenContainer, static_cast<int>(c)}))
            return plan();
        } else if (l == Lock::kLocked && held(p, w_.containers[c].key)) {
          Packed q = p;
          set_box(q, static_cast<int>(c), Lock::kClosed);
          if (push(q, head,
                   {TwVerb::kUnlockContainer, static_cast<int>(c), w_.containers[c].key})) {
            return plan();
          }
        }
      }
      for (std::size_t k = 0; k < relevant_.size(); ++k) {
        const int item = relevant_[k];
        const std::uint64_t ph = phase(p, k);
        if (ph == kAtOrigin) {
          const int at = s0_.items[static_cast<std::size_t>(item)];
          int from = -1;
          bool visible = at == room;
          if (at >= kInContainer) {
            from = at - kInContainer;
            visible = w_.containers[static_cast<std::size_t>(from)].room == room &&
                      box(p, from) == Lock::kOpen;
          }
          if (visible) {
            Packed q = p;
            set_phase(q, k, kHeld);
            if (push(q, head, {TwVerb::kTake, item, from}))
              return plan();
          }
        } else if (ph == kHeld && item == w_.goal_item && w_.goal_container >= 0) {
          const int c = w_.goal_container;
          if (w_.containers[static_cast<std::size_t>(c)].room == room && box(p, c) == Lock::kOpen) {
            Packed q = p;
            set_phase(q, k, kPlaced);
            if (push(q, head, {TwVerb::kPut, item, c}))
              return plan();
          }
        }
      }
    }
    return std::nullopt;
  }

 private:
  struct Node {
    Packed state;
    int parent;
    TwAction action;
  };

  Lock door(const Packed& p, int d) const { return static_cast<Lock>((p.lo >> (5 + 2 * d)) & 3); }
  void set_door(Packed& p, int d, Lock l) const {
    p.lo = (p.lo & ~(std::uint64_t{3} << (5 + 2 * d))) |
           (static_cast<std::uint64_t>(l) << (5 + 2 * d));
  }
  Lock box(const Packed& p, int c) const { return static_cast<Lock>((p.hi >> (2 * c)) & 3); }
  void set_box(Packed& p, int c, Lock l) const {
    p.hi = (p.hi & ~(std::uint64_t{3} << (2 * c))) | (static_cast<std::uint64_t>(l) << (2 * c));
  }
  std::uint64_t phase(const Packed& p, std::size_t k) const { return (p.hi >> (24 + 2 * k)) & 3; }
  void set_phase(Packed& p, std::size_t k, std::uint64_t ph) const {
    p.hi = (p.hi & ~(std::uint64_t{3} << (24 + 2 * k))) | (ph << (24 + 2 * k));
  }
  // Opening a container only helps to take a key or the goal from it, or to put the goal in.
  bool useful_box(const Packed& p, int c) const {
    if (c == w_.goal_container)
      return true;
    for (std::size_t k = 0; k < relevant_.size(); ++k) {
      if (phase(p, k) == kAtOrigin &&
          s0_.items[static_cast<std::size_t>(relevant_[k])] == kInContainer + c) {
        return true;
      }
    }
    return false;
  }
  bool held(const Packed& p, int item) const {
    if (item < 0)
      return false;
    const auto it = slot_of_.find(static_cast<std::size_t>(item));
    return it != slot_of_.end() && phase(p, static_cast<std::size_t>(it->second)) == kHeld;
  }
  bool won(const Packed& p) const {
    const std::size_t k =
        static_cast<std::size_t>(slot_of_.at(static_cast<std::size_t>(w_.goal_item)));
    return phase(p, k) == (w_.goal_container >= 0 ? kPlaced : kHeld);
  }
  // Adds a state; true when it wins (the plan then ends at the last node).
  bool push(const Packed& q, std::size_t parent, const TwAction& a) {
    if (!seen_.insert(q).second)
      return false;
    nodes_.push_back({q, static_cast<int>(parent), a});
    return won(q);
  }
  std::vector<TwAction> plan() const {
    std::vector<TwAction> out;
    for (int i = static_cast<int>(nodes_.size()) - 1;
         nodes_[static_cast<std::size_t>(i)].parent >= 0;
         i = nodes_[static_cast<std::size_t>(i)].parent) {
      out.push_back(nodes_[static_cast<std::size_t>(i)].action);
    }
    std::reverse(out.begin(), out.end());
    return out;
  }

  const TwWorld& w_;
  const TwState& s0_;
  std::vector<int> relevant_;
  std::unordered_map<std::size_t, int> slot_of_;
  std::vector<Node> nodes_;
  std::unordered_set<Packed, PackedHash> seen_;
};

}  // namespace

std::optional<std::vector<TwAction>> tw_solve(const TwWorld& w, const TwState& start, bool prune) {
  if (tw_goal_met(w, start))
    return std::vector<TwAction>{};
  if (prune) {
    FastSolver fast(w, start);
    if (fast.fits())
      return fast.run();
  }
  struct Node {
    TwState state;
    int parent;
    TwAction action;
  };
  std::vector<Node> nodes;
  std::unordered_map<std::string, int> seen;
  nodes.push_back({start, -1, {TwVerb::kLook}});
  seen.emplace(encode(start), 0);
  for (std::size_t head = 0; head < nodes.size(); ++head) {
    const TwState here = nodes[head].state;
    for (const TwAction& a : tw_valid_actions(w, here)) {
      if (prune ? !helps(w, a) : (a.verb == TwVerb::kLook || a.verb == TwVerb::kInventory)) {
        continue;
      }
      TwState next = here;
      const bool won = tw_apply(w, next, a);
      if (!seen.emplace(encode(next), static_cast<int>(nodes.size())).second)
        continue;
      nodes.push_back({std::move(next), static_cast<int>(head), a});
      if (won) {
        std::vector<TwAction> plan;
        for (int i = static_cast<int>(nodes.size()) - 1;
             nodes[static_cast<std::size_t>(i)].parent >= 0;
             i = nodes[static_cast<std::size_t>(i)].parent) {
          plan.push_back(nodes[static_cast<std::size_t>(i)].action);
        }
        std::reverse(plan.begin(), plan.end());
        return plan;
      }
    }
  }
  return std::nullopt;
}

}  // namespace arbor::envs::internal
