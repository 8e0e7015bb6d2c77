#include "envs/text_world.h"

#include <algorithm>
#include <cctype>

#include "core/strings.h"
#include "envs/internal/text_world_gen.h"
#include "envs/internal/text_world_model.h"

namespace arbor::envs {

using internal::kInContainer;
using internal::kInInventory;
using internal::Lock;
using internal::TwAction;
using internal::TwState;
using internal::TwVerb;
using internal::TwWorld;

namespace {

constexpr int kMaxRooms = 20;
constexpr int kMaxThings = 12;

std::string with_article(const std::string& name) {
  const char c = name.empty() ? 'x' : name[0];
  const bool vowel = c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u';
  return (vowel ? "an " : "a ") + name;
}

std::string join_list(const std::vector<std::string>& parts) {
  std::string out;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (i > 0)
      out += i + 1 == parts.size() ? " and " : ", ";
    out += parts[i];
  }
  return out;
}

// Lowercase, articles dropped, single spaces, aliases resolved: "Go N" -> "go north".
std::string normalize_command(std::string_view raw) {
  std::string lower;
  for (char c : raw) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::vector<std::string> words;
  for (const std::string& w : split(lower, ' ')) {
    const std::string t(trim(w));
    if (t.empty() || t == "the" || t == "a" || t == "an")
      continue;
    words.push_back(t);
  }
  if (words.empty())
    return "";
  static const std::pair<const char*, const char*> kDirs[] = {
      {"n", "north"},     {"e", "east"},    {"s", "south"},     {"w", "west"},
      {"north", "north"}, {"east", "east"}, {"south", "south"}, {"west", "west"}};
  if (words.size() == 1) {
    for (const auto& [alias, dir] : kDirs) {
      if (words[0] == alias)
        return std::string("go ") + dir;
    }
    if (words[0] == "i" || words[0] == "inv")
      return "inventory";
    if (words[0] == "l")
      return "look";
  }
  if (words[0] == "walk" || words[0] == "move")
    words[0] = "go";
  if (words[0] == "go" && words.size() == 2) {
    for (const auto& [alias, dir] : kDirs) {
      if (words[1] == alias)
        words[1] = dir;
    }
  }
  if (words[0] == "get" || words[0] == "grab")
    words[0] = "take";
  if (words.size() > 2 && words[0] == "pick" && words[1] == "up")
    words.erase(words.begin() + 1);
  if (words[0] == "pick")
    words[0] = "take";
  if (words[0] == "insert" || words[0] == "place")
    words[0] = "put";
  for (std::string& w : words) {
    if (w == "into" || w == "inside")
      w = "in";
  }
  std::string out;
  for (const std::string& w : words) out += (out.empty() ? "" : " ") + w;
  return out;
}

}  // namespace

StatusOr<TextWorldConfig> TextWorldConfig::preset(std::string_view size) {
  TextWorldConfig c;
  if (size == "trivial") {
    c = {1, 0, 0, 0, 0, 1, false};
  } else if (size == "easy") {
    c = {3, 0, 1, 1, 0, 1, true};
  } else if (size.empty() || size == "medium") {
    c = {6, 1, 2, 2, 0, 3, true};
  } else if (size == "hard") {
    c = {10, 3, 3, 4, 1, 6, true};
  } else {
    return Status::invalid_argument("text world size '" + std::string(size) +
                                    "' is not one of trivial, easy, medium, hard");
  }
  return c;
}

Status TextWorldConfig::apply_options(const Json& options) {
  if (!options.is_object())
    return Status::ok_status();
  const auto field = [&](const char* key, int& value, int lo, int hi) -> Status {
    if (!options.contains(key))
      return Status::ok_status();
    ARBOR_ASSIGN_OR_RETURN(value, json_get<int>(options, key, "text world options"));
    if (value < lo || value > hi) {
      return Status::invalid_argument("text world options: '" + std::string(key) + "' is " +
                                      std::to_string(value) + ", expected " + std::to_string(lo) +
                                      ".." + std::to_string(hi));
    }
    return Status::ok_status();
  };
  ARBOR_RETURN_IF_ERROR(field("rooms", rooms, 1, kMaxRooms));
  ARBOR_RETURN_IF_ERROR(field("locked_doors", locked_doors, 0, kMaxThings));
  ARBOR_RETURN_IF_ERROR(field("closed_doors", closed_doors, 0, kMaxRooms));
  ARBOR_RETURN_IF_ERROR(field("containers", containers, 0, kMaxThings));
  ARBOR_RETURN_IF_ERROR(field("locked_containers", locked_containers, 0, kMaxThings));
  ARBOR_RETURN_IF_ERROR(field("distractors", distractors, 0, kMaxThings));
  if (options.contains("put_goal")) {
    ARBOR_ASSIGN_OR_RETURN(put_goal, json_get<bool>(options, "put_goal", "text world options"));
  }
  if (locked_doors + closed_doors > rooms - 1) {
    return Status::invalid_argument("text world options: " + std::to_string(locked_doors) +
                                    " locked and " + std::to_string(closed_doors) +
                                    " closed doors need at least " +
                                    std::to_string(locked_doors + closed_doors + 1) + " rooms");
  }
  if (locked_containers > containers) {
    return Status::invalid_argument("text world options: more locked containers than containers");
  }
  if (locked_doors + closed_doors + containers > 24) {
    return Status::invalid_argument("text world options: at most 24 doors and containers");
  }
  return Status::ok_status();
}

TextWorldEnv::TextWorldEnv(std::string id, TextWorldConfig config)
    : base_config_(config), config_(config) {
  spec_.id = std::move(id);
  spec_.admissible_actions = true;
  spec_.save_restore = true;
}

TextWorldEnv::~TextWorldEnv() = default;

Status TextWorldEnv::build(std::uint64_t seed, const TextWorldConfig& config) {
  world_ = std::make_unique<TwWorld>(internal::tw_generate(config, seed));
  state_ = std::make_unique<TwState>(world_->initial);
  seed_ = seed;
  config_ = config;
  return Status::ok_status();
}

std::string TextWorldEnv::describe_room() const {
  const TwWorld& w = *world_;
  const TwState& s = *state_;
  const internal::TwRoom& room = w.rooms[s.room];
  std::string name = room.name;
  name[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(name[0])));
  std::string out = "-= " + name + " =-\nYou are in the " + room.name + ".";
  const auto contents = [&](int c) {
    std::vector<std::string> inside;
    for (std::size_t i = 0; i < w.items.size(); ++i) {
      if (s.items[i] == kInContainer + c)
        inside.push_back(with_article(w.items[i].name));
    }
    return inside;
  };
  for (std::size_t c = 0; c < w.containers.size(); ++c) {
    if (w.containers[c].room != s.room)
      continue;
    out += " There is " + with_article(w.containers[c].name);
    if (s.containers[c] == Lock::kOpen) {
      const auto inside = contents(static_cast<int>(c));
      out += inside.empty() ? " (open, empty)." : " (open) holding " + join_list(inside) + ".";
    } else {
      out += s.containers[c] == Lock::kLocked ? " (locked)." : " (closed).";
    }
  }
  std::vector<std::string> floor;
  for (std::size_t i = 0; i < w.items.size(); ++i) {
    if (s.items[i] == s.room)
      floor.push_back(with_article(w.items[i].name));
  }
  if (!floor.empty())
    out += " On the floor: " + join_list(floor) + ".";
  std::vector<std::string> exits;
  for (int d = 0; d < internal::kDirections; ++d) {
    const internal::TwExit& e = room.exits[static_cast<std::size_t>(d)];
    if (e.to < 0)
      continue;
    std::string x = internal::kDirectionNames[static_cast<std::size_t>(d)];
    if (e.door >= 0) {
      const Lock l = s.doors[static_cast<std::size_t>(e.door)];
      x += " (" + w.doors[static_cast<std::size_t>(e.door)].name + ", " +
           (l == Lock::kOpen     ? "open"
            : l == Lock::kClosed ? "closed"
                                 : "locked") +
           ")";
    }
    exits.push_back(x);
  }
  out += exits.empty() ? " There is no way out." : " Exits: " + join_list(exits) + ".";
  return out;
}

Json TextWorldEnv::info() const {
  Json info = Json::object();
  info[kInfoScore] = state_->won ? 1 : 0;
  info[kInfoMaxScore] = 1;
  info[kInfoWon] = state_->won;
  info[kInfoLost] = false;
  info[kInfoMoves] = moves_;
  info[kInfoObjective] = world_->objective;
  if (include_admissible_ && !state_->won) {
    Json actions = Json::array();
    for (const TwAction& a : internal::tw_valid_actions(*world_, *state_)) {
      actions.push_back(internal::tw_action_text(*world_, a));
    }
    info[kInfoAdmissibleActions] = std::move(actions);
  }
  return info;
}

StatusOr<ResetResult> TextWorldEnv::reset(std::optional<std::uint64_t> seed, const Json& options) {
  TextWorldConfig config = base_config_;
  ARBOR_RETURN_IF_ERROR(config.apply_options(options).with_context(spec_.id));
  // Without a seed, each reset moves on to the next world.
  const std::uint64_t s = seed ? *seed : next_seed_;
  next_seed_ = s + 1;
  ARBOR_RETURN_IF_ERROR(build(s, config));
  moves_ = 0;
  guard_.start();
  ResetResult r;
  r.observation = world_->objective + "\n\n" + describe_room();
  r.info = info();
  r.info["seed"] = s;
  if (options.is_object() && options.value("walkthrough", false))
    r.info["walkthrough"] = solve();
  return r;
}

StatusOr<std::vector<std::string>> TextWorldEnv::admissible_actions() {
  std::vector<std::string> out;
  if (!world_ || !guard_.running())
    return out;
  for (const TwAction& a : internal::tw_valid_actions(*world_, *state_)) {
    out.push_back(internal::tw_action_text(*world_, a));
  }
  return out;
}

std::string TextWorldEnv::explain_failure(const std::string& command) const {
  const TwWorld& w = *world_;
  const TwState& s = *state_;
  const auto mentions = [&](const std::string& name) {
    return command.find(name) != std::string::npos;
  };
  if (starts_with(command, "go ")) {
    for (int d = 0; d < internal::kDirections; ++d) {
      if (command != std::string("go ") + internal::kDirectionNames[static_cast<std::size_t>(d)])
        continue;
      const internal::TwExit& e = w.rooms[s.room].exits[static_cast<std::size_t>(d)];
      if (e.to < 0)
        return "You can't go that way.";
      return "The " + w.doors[static_cast<std::size_t>(e.door)].name + " is " +
             (s.doors[static_cast<std::size_t>(e.door)] == Lock::kLocked ? "locked." : "closed.");
    }
    return "Go where? Say north, east, south or west.";
  }
  // A door or container named in the command, if it is here.
  for (int d = 0; d < internal::kDirections; ++d) {
    const int door = w.rooms[s.room].exits[static_cast<std::size_t>(d)].door;
    if (door < 0 || !mentions(w.doors[static_cast<std::size_t>(door)].name))
      continue;
    const Lock l = s.doors[static_cast<std::size_t>(door)];
    const std::string& name = w.doors[static_cast<std::size_t>(door)].name;
    if (starts_with(command, "open "))
      return l == Lock::kOpen ? "The " + name + " is already open." : "The " + name + " is locked.";
    if (starts_with(command, "close "))
      return "The " + name + " is already closed.";
    if (starts_with(command, "unlock ")) {
      if (l != Lock::kLocked)
        return "The " + name + " isn't locked.";
      return "You don't have the key that fits the " + name + ".";
    }
  }
  for (std::size_t c = 0; c < w.containers.size(); ++c) {
    if (w.containers[c].room != s.room || !mentions(w.containers[c].name))
      continue;
    const Lock l = s.containers[c];
    const std::string& name = w.containers[c].name;
    if (starts_with(command, "open "))
      return l == Lock::kOpen ? "The " + name + " is already open." : "The " + name + " is locked.";
    if (starts_with(command, "close "))
      return "The " + name + " is already closed.";
    if (starts_with(command, "unlock ")) {
      if (l != Lock::kLocked)
        return "The " + name + " isn't locked.";
      return "You don't have the key that fits the " + name + ".";
    }
    if (starts_with(command, "put ") && l != Lock::kOpen)
      return "The " + name + " is closed.";
    if (starts_with(command, "take ") && l != Lock::kOpen)
      return "The " + name + " is closed.";
  }
  for (std::size_t i = 0; i < w.items.size(); ++i) {
    if (!mentions(w.items[i].name))
      continue;
    if (starts_with(command, "take ") && s.items[i] == kInInventory) {
      return "You already have the " + w.items[i].name + ".";
    }
    if ((starts_with(command, "drop ") || starts_with(command, "put ")) &&
        s.items[i] != kInInventory) {
      return "You don't have the " + w.items[i].name + ".";
    }
  }
  if (starts_with(command, "take ") || starts_with(command, "open ") ||
      starts_with(command, "close ") || starts_with(command, "unlock ") ||
      starts_with(command, "put ") || starts_with(command, "drop ")) {
    return "You don't see that here.";
  }
  return "That is not a command this world understands. Try one of the admissible actions.";
}

StatusOr<StepResult> TextWorldEnv::step(std::string_view action) {
  ARBOR_RETURN_IF_ERROR(guard_.check_running(spec_.id));
  const std::string command = normalize_command(action);
  ++moves_;
  StepResult r;
  std::optional<TwAction> chosen;
  for (const TwAction& a : internal::tw_valid_actions(*world_, *state_)) {
    const std::string text = internal::tw_action_text(*world_, a);
    // "take X" also works for an item in an open container here.
    if (text == command ||
        (a.verb == TwVerb::kTake && a.b >= 0 &&
         command == "take " + world_->items[static_cast<std::size_t>(a.a)].name)) {
      chosen = a;
      break;
    }
  }
  if (!chosen) {
    const std::string why = command.empty() ? "Say something." : explain_failure(command);
    r.observation = why;
    r.info = info();
    r.info[kInfoLastActionError] = why;
    return r;
  }
  const TwWorld& w = *world_;
  const TwAction a = *chosen;
  const bool won = internal::tw_apply(w, *state_, a);
  const auto item = [&](int i) { return w.items[static_cast<std::size_t>(i)].name; };
  const auto box = [&](int i) { return w.containers[static_cast<std::size_t>(i)].name; };
  switch (a.verb) {
    case TwVerb::kGo:
    case TwVerb::kLook:
      r.observation = describe_room();
      break;
    case TwVerb::kOpenDoor:
      r.observation = "You open the " + w.doors[static_cast<std::size_t>(a.a)].name + ".";
      break;
    case TwVerb::kCloseDoor:
      r.observation = "You close the " + w.doors[static_cast<std::size_t>(a.a)].name + ".";
      break;
    case TwVerb::kUnlockDoor:
      r.observation = "You unlock the " + w.doors[static_cast<std::size_t>(a.a)].name +
                      " with the " + item(a.b) + ".";
      break;
    case TwVerb::kOpenContainer: {
      std::vector<std::string> inside;
      for (std::size_t i = 0; i < w.items.size(); ++i) {
        if (state_->items[i] == kInContainer + a.a)
          inside.push_back(with_article(w.items[i].name));
      }
      r.observation =
          "You open the " + box(a.a) + "." +
          (inside.empty() ? " It is empty." : " Inside you see " + join_list(inside) + ".");
      break;
    }
    case TwVerb::kCloseContainer:
      r.observation = "You close the " + box(a.a) + ".";
      break;
    case TwVerb::kUnlockContainer:
      r.observation = "You unlock the " + box(a.a) + " with the " + item(a.b) + ".";
      break;
    case TwVerb::kTake:
      r.observation = "You take the " + item(a.a) + ".";
      break;
    case TwVerb::kPut:
      r.observation = "You put the " + item(a.a) + " in the " + box(a.b) + ".";
      break;
    case TwVerb::kDrop:
      r.observation = "You drop the " + item(a.a) + ".";
      break;
    case TwVerb::kInventory: {
      std::vector<std::string> held;
      for (std::size_t i = 0; i < w.items.size(); ++i) {
        if (state_->items[i] == kInInventory)
          held.push_back(with_article(w.items[i].name));
      }
      r.observation =
          held.empty() ? "You are carrying nothing." : "You are carrying " + join_list(held) + ".";
      break;
    }
  }
  if (won) {
    r.observation += "\n*** You have won! ***";
    r.reward = 1.0;
    r.terminated = true;
    guard_.finish();
  }
  r.info = info();
  return r;
}

std::vector<std::string> TextWorldEnv::solve() const {
  std::vector<std::string> out;
  if (!world_)
    return out;
  auto plan = internal::tw_solve(*world_, *state_, /*prune=*/true);
  if (!plan)
    return out;
  for (const TwAction& a : *plan) out.push_back(internal::tw_action_text(*world_, a));
  return out;
}

// Snapshot: "TW1", the world's seed and config, the move count, the state bytes.
StatusOr<std::string> TextWorldEnv::save() {
  if (!world_)
    return Status::failed_precondition(spec_.id + ": save before reset");
  std::string out = "TW1";
  const auto put = [&](std::uint64_t v, int bytes) {
    for (int i = 0; i < bytes; ++i) out += static_cast<char>((v >> (8 * i)) & 0xff);
  };
  put(seed_, 8);
  for (int v : {config_.rooms, config_.locked_doors, config_.closed_doors, config_.containers,
                config_.locked_containers, config_.distractors, config_.put_goal ? 1 : 0}) {
    put(static_cast<std::uint64_t>(v), 1);
  }
  put(static_cast<std::uint64_t>(moves_), 4);
  put(guard_.running() ? 1 : 0, 1);
  put(state_->room, 1);
  for (Lock l : state_->doors) put(static_cast<std::uint64_t>(l), 1);
  for (Lock l : state_->containers) put(static_cast<std::uint64_t>(l), 1);
  for (std::int16_t i : state_->items) put(static_cast<std::uint16_t>(i), 2);
  return out;
}

Status TextWorldEnv::restore(std::string_view snap) {
  const auto bad = [&] {
    return Status::invalid_argument(spec_.id + ": not a text world snapshot");
  };
  if (snap.substr(0, 3) != "TW1" || snap.size() < 3 + 8 + 7 + 4 + 2)
    return bad();
  std::size_t p = 3;
  const auto get = [&](int bytes) {
    std::uint64_t v = 0;
    for (int i = 0; i < bytes; ++i)
      v |= static_cast<std::uint64_t>(static_cast<unsigned char>(snap[p++])) << (8 * i);
    return v;
  };
  const std::uint64_t seed = get(8);
  TextWorldConfig c;
  c.rooms = static_cast<int>(get(1));
  c.locked_doors = static_cast<int>(get(1));
  c.closed_doors = static_cast<int>(get(1));
  c.containers = static_cast<int>(get(1));
  c.locked_containers = static_cast<int>(get(1));
  c.distractors = static_cast<int>(get(1));
  c.put_goal = get(1) != 0;
  const int moves = static_cast<int>(get(4));
  const bool running = get(1) != 0;
  Json check = {{"rooms", c.rooms},
                {"locked_doors", c.locked_doors},
                {"closed_doors", c.closed_doors},
                {"containers", c.containers},
                {"locked_containers", c.locked_containers},
                {"distractors", c.distractors}};
  TextWorldConfig validated = c;
  if (!validated.apply_options(check).ok())
    return bad();
  if (!world_ || seed != seed_ ||
      !(c.rooms == config_.rooms && c.locked_doors == config_.locked_doors &&
        c.closed_doors == config_.closed_doors && c.containers == config_.containers &&
        c.locked_containers == config_.locked_containers && c.distractors == config_.distractors &&
        c.put_goal == config_.put_goal)) {
    ARBOR_RETURN_IF_ERROR(build(seed, c));
  }
  TwState s = world_->initial;
  const std::size_t need = 1 + s.doors.size() + s.containers.size() + 2 * s.items.size();
  if (snap.size() - p != need)
    return bad();
  s.room = static_cast<std::uint8_t>(get(1));
  for (Lock& l : s.doors) l = static_cast<Lock>(get(1));
  for (Lock& l : s.containers) l = static_cast<Lock>(get(1));
  for (std::int16_t& i : s.items) i = static_cast<std::int16_t>(static_cast<std::uint16_t>(get(2)));
  if (s.room >= world_->rooms.size())
    return bad();
  s.won = internal::tw_goal_met(*world_, s);
  *state_ = std::move(s);
  moves_ = moves;
  if (running) {
    guard_.start();
  } else {
    guard_.finish();
  }
  return Status::ok_status();
}

}  // namespace arbor::envs
