#include "models/internal/bpe.h"

#include <cstdio>
#include <mutex>
#include <queue>

#include "models/internal/unicode.h"

namespace arbor::models::internal {
namespace {

constexpr std::size_t kCacheCapacity = 65536;
constexpr std::size_t kCacheMaxWordBytes = 256;

std::uint64_t pair_key(std::int32_t left, std::int32_t right) {
  return (static_cast<std::uint64_t>(static_cast<std::uint32_t>(left)) << 32) |
         static_cast<std::uint32_t>(right);
}

std::string in_quotes(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  out += '\'';
  out += s;
  out += '\'';
  return out;
}

}  // namespace

StatusOr<std::unique_ptr<BpeModel>> BpeModel::from_json(const Json& json,
                                                        std::string_view location) {
  const std::string where(location);
  if (!json.is_object()) return Status::invalid_argument(where + ": expected a JSON object");
  ARBOR_ASSIGN_OR_RETURN(const std::string type,
                         json_get_or<std::string>(json, "type", where, "BPE"));
  if (type != "BPE") {
    return Status::unimplemented(where + " type '" + type + "' is not supported");
  }
  ARBOR_ASSIGN_OR_RETURN(const double dropout, json_get_or<double>(json, "dropout", where, 0.0));
  if (dropout != 0.0) {
    return Status::unimplemented(where + ": dropout " + std::to_string(dropout) +
                                 " is not supported (encoding would be random); set it to null");
  }
  std::unique_ptr<BpeModel> m(new BpeModel());
  ARBOR_ASSIGN_OR_RETURN(m->fuse_unk_, json_get_or<bool>(json, "fuse_unk", where, false));
  ARBOR_ASSIGN_OR_RETURN(m->byte_fallback_, json_get_or<bool>(json, "byte_fallback", where, false));
  ARBOR_ASSIGN_OR_RETURN(m->ignore_merges_, json_get_or<bool>(json, "ignore_merges", where, false));
  ARBOR_ASSIGN_OR_RETURN(m->continuing_subword_prefix_,
                         json_get_or<std::string>(json, "continuing_subword_prefix", where, ""));
  ARBOR_ASSIGN_OR_RETURN(m->end_of_word_suffix_,
                         json_get_or<std::string>(json, "end_of_word_suffix", where, ""));

  const auto vocab = json.find("vocab");
  if (vocab == json.end() || !vocab->is_object()) {
    return Status::invalid_argument(where + ": field 'vocab' must be an object of token: id");
  }
  m->vocab_.reserve(vocab->size());
  for (auto it = vocab->begin(); it != vocab->end(); ++it) {
    if (!it.value().is_number_integer() || it.value().get<std::int64_t>() < 0 ||
        it.value().get<std::int64_t>() > kMaxId) {
      return Status::invalid_argument(where + ".vocab: token " + in_quotes(it.key()) + " has id " +
                                      it.value().dump() + ", expected an integer in [0, " +
                                      std::to_string(kMaxId) + "]");
    }
    const auto id = static_cast<std::int32_t>(it.value().get<std::int64_t>());
    if (static_cast<std::size_t>(id) >= m->id_to_token_.size()) m->id_to_token_.resize(id + 1);
    if (m->id_to_token_[id]) {
      return Status::invalid_argument(where + ".vocab: id " + std::to_string(id) +
                                      " is used by both " + in_quotes(*m->id_to_token_[id]) +
                                      " and " + in_quotes(it.key()));
    }
    m->id_to_token_[id] = it.key();
    m->vocab_.emplace(it.key(), id);
  }

  if (json.contains("unk_token") && !json["unk_token"].is_null()) {
    ARBOR_ASSIGN_OR_RETURN(const std::string unk, json_get<std::string>(json, "unk_token", where));
    if (!m->vocab_.count(unk)) {
      return Status::invalid_argument(where + ": unk_token " + in_quotes(unk) +
                                      " is not in the vocabulary");
    }
    m->unk_token_ = unk;
  }

  const auto merges = json.find("merges");
  if (merges == json.end() || !merges->is_array()) {
    return Status::invalid_argument(where + ": field 'merges' must be an array");
  }
  ARBOR_RETURN_IF_ERROR(m->load_merges(*merges, where));
  return m;
}

Status BpeModel::load_merges(const Json& merges, const std::string& where) {
  merges_.reserve(merges.size());
  std::uint32_t rank = 0;
  for (std::size_t i = 0; i < merges.size(); ++i) {
    const Json& entry = merges[i];
    const std::string at = where + ".merges[" + std::to_string(i) + "]";
    std::string left, right;
    if (entry.is_string()) {
      const std::string& s = entry.get_ref<const std::string&>();
      if (s.rfind("#version", 0) == 0) continue;  // a merges.txt header, skipped as HF does
      const std::size_t space = s.find(' ');
      if (space == std::string::npos || s.find(' ', space + 1) != std::string::npos) {
        return Status::invalid_argument(at + ": " + in_quotes(s) +
                                        " is not two tokens separated by one space");
      }
      left = s.substr(0, space);
      right = s.substr(space + 1);
    } else if (entry.is_array() && entry.size() == 2 && entry[0].is_string() &&
               entry[1].is_string()) {
      left = entry[0].get<std::string>();
      right = entry[1].get<std::string>();
    } else {
      return Status::invalid_argument(at + ": expected \"a b\" or [\"a\", \"b\"], got " +
                                      entry.dump());
    }
    const auto l = vocab_.find(left);
    const auto r = vocab_.find(right);
    if (l == vocab_.end() || r == vocab_.end()) {
      return Status::invalid_argument(at + ": token " +
                                      in_quotes(l == vocab_.end() ? left : right) +
                                      " is not in the vocabulary");
    }
    const std::size_t prefix = continuing_subword_prefix_.size();
    if (right.size() < prefix) {
      return Status::invalid_argument(at + ": token " + in_quotes(right) +
                                      " is shorter than continuing_subword_prefix");
    }
    const std::string merged = left + right.substr(prefix);
    const auto n = vocab_.find(merged);
    if (n == vocab_.end()) {
      return Status::invalid_argument(at + ": merged token " + in_quotes(merged) +
                                      " is not in the vocabulary");
    }
    // A later duplicate replaces an earlier one, as in HF's merge map.
    merges_[pair_key(l->second, r->second)] = Merge{rank, n->second};
    ++rank;
  }
  return Status::ok_status();
}

std::optional<std::int32_t> BpeModel::token_to_id(std::string_view token) const {
  const auto it = vocab_.find(token);
  if (it == vocab_.end()) return std::nullopt;
  return it->second;
}

const std::string* BpeModel::id_to_token(std::int32_t id) const {
  if (id < 0 || static_cast<std::size_t>(id) >= id_to_token_.size() || !id_to_token_[id]) {
    return nullptr;
  }
  return &*id_to_token_[id];
}

void BpeModel::tokenize(std::string_view word, std::vector<std::int32_t>* ids) const {
  if (word.empty()) return;
  if (ignore_merges_) {
    if (const auto it = vocab_.find(word); it != vocab_.end()) {
      ids->push_back(it->second);
      return;
    }
  }
  {
    std::shared_lock lock(cache_mutex_);
    if (const auto it = cache_.find(word); it != cache_.end()) {
      ids->insert(ids->end(), it->second.begin(), it->second.end());
      return;
    }
  }
  std::vector<std::int32_t> word_ids = merge_word(word);
  ids->insert(ids->end(), word_ids.begin(), word_ids.end());
  if (word.size() < kCacheMaxWordBytes) {
    std::unique_lock lock(cache_mutex_);
    if (cache_.size() < kCacheCapacity) cache_.emplace(std::string(word), std::move(word_ids));
  }
}

std::vector<std::int32_t> BpeModel::merge_word(std::string_view word) const {
  // A doubly linked list over the initial symbols; a merged-away symbol gets len 0.
  struct Symbol {
    std::int32_t id;
    int prev;
    int next;
    std::size_t len;
  };
  std::vector<Symbol> symbols;
  symbols.reserve(word.size());
  const auto add = [&symbols](std::int32_t id, std::size_t len) {
    const int index = static_cast<int>(symbols.size());
    if (!symbols.empty()) symbols.back().next = index;
    symbols.push_back({id, index - 1, -1, len});
  };

  // An unk symbol not added yet, so that fuse_unk can grow it over the next characters.
  bool unk_pending = false;
  std::size_t unk_len = 0;
  const std::int32_t unk_id = unk_token_ ? vocab_.find(*unk_token_)->second : -1;
  std::string key;
  for (std::size_t pos = 0; pos < word.size();) {
    const std::size_t start = pos;
    next_code_point(word, &pos);
    const std::size_t byte_len = pos - start;
    key.clear();
    if (start > 0) key += continuing_subword_prefix_;
    key.append(word.substr(start, byte_len));
    if (pos == word.size()) key += end_of_word_suffix_;

    if (const auto it = vocab_.find(key); it != vocab_.end()) {
      if (unk_pending) add(unk_id, unk_len);
      unk_pending = false;
      add(it->second, byte_len);
      continue;
    }
    if (byte_fallback_) {
      std::vector<std::int32_t> byte_ids;
      for (const char c : key) {
        char name[8];
        std::snprintf(name, sizeof(name), "<0x%02X>", static_cast<unsigned char>(c));
        const auto it = vocab_.find(std::string_view(name));
        if (it == vocab_.end()) break;
        byte_ids.push_back(it->second);
      }
      if (byte_ids.size() == key.size()) {
        // HF adds the byte tokens without flushing a pending unk first.
        for (const std::int32_t id : byte_ids) add(id, 1);
        continue;
      }
    }
    if (unk_token_) {
      if (unk_pending && fuse_unk_) {
        unk_len += byte_len;
      } else {
        if (unk_pending) add(unk_id, unk_len);
        unk_pending = true;
        unk_len = byte_len;
      }
    }
    // With neither a byte token nor an unk token, HF drops the character.
  }
  if (unk_pending) add(unk_id, unk_len);

  struct Candidate {
    std::uint32_t rank;
    int pos;
    std::int32_t new_id;
    // priority_queue pops the largest: make that the lowest rank, then the leftmost.
    bool operator<(const Candidate& o) const {
      return rank != o.rank ? rank > o.rank : pos > o.pos;
    }
  };
  std::priority_queue<Candidate> queue;
  const auto push_pair = [&](int left) {
    const int right = symbols[left].next;
    if (right < 0) return;
    const auto it = merges_.find(pair_key(symbols[left].id, symbols[right].id));
    if (it != merges_.end()) queue.push({it->second.rank, left, it->second.new_id});
  };
  for (int i = 0; i + 1 < static_cast<int>(symbols.size()); ++i) push_pair(i);

  while (!queue.empty()) {
    const Candidate top = queue.top();
    queue.pop();
    Symbol& left = symbols[top.pos];
    if (left.len == 0 || left.next < 0) continue;
    const Symbol right = symbols[left.next];
    // Skip stale candidates: the pair at this position must still merge into new_id.
    const auto it = merges_.find(pair_key(left.id, right.id));
    if (it == merges_.end() || it->second.new_id != top.new_id) continue;
    symbols[left.next].len = 0;
    left.id = top.new_id;
    left.len += right.len;
    left.next = right.next;
    if (right.next >= 0) symbols[right.next].prev = top.pos;
    if (left.prev >= 0) push_pair(left.prev);
    push_pair(top.pos);
  }

  std::vector<std::int32_t> ids;
  for (const Symbol& s : symbols) {
    if (s.len != 0) ids.push_back(s.id);
  }
  return ids;
}

}  // namespace arbor::models::internal
