// The built-in text world's data model, shared by the generator, the environment and the
// solver: an immutable World (rooms, doors, containers, items, goal) and a small copyable
// State (where the player and the items are, what is open, closed or locked).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace arbor::envs::internal {

inline constexpr int kDirections = 4;
inline constexpr std::array<const char*, kDirections> kDirectionNames = {"north", "east", "south",
                                                                         "west"};
inline constexpr int opposite(int dir) {
  return (dir + 2) % 4;
}

enum class Lock : std::uint8_t { kOpen = 0, kClosed = 1, kLocked = 2 };

struct TwExit {
  int to = -1;    // room index, -1: no exit
  int door = -1;  // door index, -1: an open passage
};

struct TwRoom {
  std::string name;  // "kitchen"
  std::array<TwExit, kDirections> exits;
};

struct TwDoor {
  std::string name;  // "oak door"
  int key = -1;      // item that unlocks it, -1: it cannot be locked
};

struct TwContainer {
  std::string name;  // "iron chest"
  int room = 0;
  int key = -1;
};

struct TwItem {
  std::string name;  // "golden coin", "oak key"
  bool is_key = false;
};

// Item locations: a room index, kInInventory, or kInContainer + container index.
inline constexpr int kInInventory = -1;
inline constexpr int kInContainer = 1000;

struct TwState {
  std::uint8_t room = 0;
  bool won = false;
  std::vector<Lock> doors;
  std::vector<Lock> containers;
  std::vector<std::int16_t> items;  // locations
  bool operator==(const TwState&) const = default;
};

struct TwWorld {
  std::vector<TwRoom> rooms;
  std::vector<TwDoor> doors;
  std::vector<TwContainer> containers;
  std::vector<TwItem> items;
  int goal_item = 0;
  int goal_container = -1;  // -1: the goal is to hold the goal item
  std::string objective;
  TwState initial;
};

enum class TwVerb : std::uint8_t {
  kGo,
  kOpenDoor,
  kCloseDoor,
  kUnlockDoor,
  kOpenContainer,
  kCloseContainer,
  kUnlockContainer,
  kTake,
  kPut,
  kDrop,
  kLook,
  kInventory
};

struct TwAction {
  TwVerb verb;
  int a = -1;  // direction, door, container or item
  int b = -1;  // the key (unlock) or the container (put, take from)
};

// Every action that changes the state or shows something, in a fixed order.
std::vector<TwAction> tw_valid_actions(const TwWorld& w, const TwState& s);

// The command text of an action ("unlock oak door with oak key").
std::string tw_action_text(const TwWorld& w, const TwAction& a);

// Applies a valid action; returns true when it completed the goal.
bool tw_apply(const TwWorld& w, TwState& s, const TwAction& a);

// True when the goal holds in `s`.
bool tw_goal_met(const TwWorld& w, const TwState& s);

// The door between `room` and direction `dir`'s neighbour, or -1.
inline int tw_door_at(const TwWorld& w, int room, int dir) {
  return w.rooms[room].exits[dir].door;
}

}  // namespace arbor::envs::internal
