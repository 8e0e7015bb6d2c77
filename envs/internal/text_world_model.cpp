#include "envs/internal/text_world_model.h"

namespace arbor::envs::internal {

bool tw_goal_met(const TwWorld& w, const TwState& s) {
  const int at = s.items[static_cast<std::size_t>(w.goal_item)];
  return w.goal_container < 0 ? at == kInInventory : at == kInContainer + w.goal_container;
}

std::vector<TwAction> tw_valid_actions(const TwWorld& w, const TwState& s) {
  std::vector<TwAction> out;
  const TwRoom& room = w.rooms[s.room];
  const auto held = [&](int item) {
    return item >= 0 && s.items[static_cast<std::size_t>(item)] == kInInventory;
  };
  for (int d = 0; d < kDirections; ++d) {
    const TwExit& e = room.exits[d];
    if (e.to >= 0 && (e.door < 0 || s.doors[static_cast<std::size_t>(e.door)] == Lock::kOpen)) {
      out.push_back({TwVerb::kGo, d});
    }
  }
  for (int d = 0; d < kDirections; ++d) {
    const int door = room.exits[d].door;
    if (door < 0)
      continue;
    switch (s.doors[static_cast<std::size_t>(door)]) {
      case Lock::kOpen:
        out.push_back({TwVerb::kCloseDoor, door});
        break;
      case Lock::kClosed:
        out.push_back({TwVerb::kOpenDoor, door});
        break;
      case Lock::kLocked:
        if (held(w.doors[static_cast<std::size_t>(door)].key)) {
          out.push_back({TwVerb::kUnlockDoor, door, w.doors[static_cast<std::size_t>(door)].key});
        }
        break;
    }
  }
  for (int c = 0; c < static_cast<int>(w.containers.size()); ++c) {
    const TwContainer& box = w.containers[static_cast<std::size_t>(c)];
    if (box.room != s.room)
      continue;
    switch (s.containers[static_cast<std::size_t>(c)]) {
      case Lock::kOpen:
        out.push_back({TwVerb::kCloseContainer, c});
        break;
      case Lock::kClosed:
        out.push_back({TwVerb::kOpenContainer, c});
        break;
      case Lock::kLocked:
        if (held(box.key))
          out.push_back({TwVerb::kUnlockContainer, c, box.key});
        break;
    }
  }
  for (int i = 0; i < static_cast<int>(w.items.size()); ++i) {
    const int at = s.items[static_cast<std::size_t>(i)];
    if (at == s.room) {
      out.push_back({TwVerb::kTake, i, -1});
    } else if (at >= kInContainer) {
      const int c = at - kInContainer;
      if (w.containers[static_cast<std::size_t>(c)].room == s.room &&
          s.containers[static_cast<std::size_t>(c)] == Lock::kOpen) {
        out.push_back({TwVerb::kTake, i, c});
      }
    }
  }
  for (int i = 0; i < static_cast<int>(w.items.size()); ++i) {
    if (!held(i))
      continue;
    for (int c = 0; c < static_cast<int>(w.containers.size()); ++c) {
      if (w.containers[static_cast<std::size_t>(c)].room == s.room &&
          s.containers[static_cast<std::size_t>(c)] == Lock::kOpen) {
        out.push_back({TwVerb::kPut, i, c});
      }
    }
    out.push_back({TwVerb::kDrop, i});
  }
  out.push_back({TwVerb::kLook});
  out.push_back({TwVerb::kInventory});
  return out;
}

std::string tw_action_text(const TwWorld& w, const TwAction& a) {
  const auto door = [&](int i) { return w.doors[static_cast<std::size_t>(i)].name; };
  const auto box = [&](int i) { return w.containers[static_cast<std::size_t>(i)].name; };
  const auto item = [&](int i) { return w.items[static_cast<std::size_t>(i)].name; };
  switch (a.verb) {
    case TwVerb::kGo:
      return std::string("go ") + kDirectionNames[static_cast<std::size_t>(a.a)];
    case TwVerb::kOpenDoor:
      return "open " + door(a.a);
    case TwVerb::kCloseDoor:
      return "close " + door(a.a);
    case TwVerb::kUnlockDoor:
      return "unlock " + door(a.a) + " with " + item(a.b);
    case TwVerb::kOpenContainer:
      return "open " + box(a.a);
    case TwVerb::kCloseContainer:
      return "close " + box(a.a);
    case TwVerb::kUnlockContainer:
      return "unlock " + box(a.a) + " with " + item(a.b);
    case TwVerb::kTake:
      return a.b < 0 ? "take " + item(a.a) : "take " + item(a.a) + " from " + box(a.b);
    case TwVerb::kPut:
      return "put " + item(a.a) + " in " + box(a.b);
    case TwVerb::kDrop:
      return "drop " + item(a.a);
    case TwVerb::kLook:
      return "look";
    case TwVerb::kInventory:
      return "inventory";
  }
  return "";
}

bool tw_apply(const TwWorld& w, TwState& s, const TwAction& a) {
  const auto idx = [](int i) { return static_cast<std::size_t>(i); };
  switch (a.verb) {
    case TwVerb::kGo:
      s.room = static_cast<std::uint8_t>(w.rooms[s.room].exits[idx(a.a)].to);
      break;
    case TwVerb::kOpenDoor:
      s.doors[idx(a.a)] = Lock::kOpen;
      break;
    case TwVerb::kCloseDoor:
      s.doors[idx(a.a)] = Lock::kClosed;
      break;
    case TwVerb::kUnlockDoor:
      s.doors[idx(a.a)] = Lock::kClosed;
      break;
    case TwVerb::kOpenContainer:
      s.containers[idx(a.a)] = Lock::kOpen;
      break;
    case TwVerb::kCloseContainer:
      s.containers[idx(a.a)] = Lock::kClosed;
      break;
    case TwVerb::kUnlockContainer:
      s.containers[idx(a.a)] = Lock::kClosed;
      break;
    case TwVerb::kTake:
      s.items[idx(a.a)] = kInInventory;
      break;
    case TwVerb::kPut:
      s.items[idx(a.a)] = static_cast<std::int16_t>(kInContainer + a.b);
      break;
    case TwVerb::kDrop:
      s.items[idx(a.a)] = s.room;
      break;
    case TwVerb::kLook:
    case TwVerb::kInventory:
      break;
  }
  s.won = tw_goal_met(w, s);
  return s.won;
}

}  // namespace arbor::envs::internal
