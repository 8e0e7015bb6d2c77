#include "search/answers.h"

#include <map>

#include "core/check.h"
#include "core/strings.h"

namespace arbor::search {

std::optional<std::string> AnswerRules::extract_from(std::string_view solution) const {
  ARBOR_CHECK(extract != nullptr) << "AnswerRules without an extract function";
  return extract(solution);
}

std::string AnswerRules::key(std::string_view answer) const {
  if (vote_key) return vote_key(answer);
  return std::string(trim(answer));
}

std::optional<VoteOutcome> vote(const std::vector<Ballot>& ballots) {
  std::map<std::string, VoteOutcome> tally;
  for (std::size_t i = 0; i < ballots.size(); ++i) {
    auto [it, inserted] = tally.try_emplace(ballots[i].key);
    VoteOutcome& o = it->second;
    if (inserted) {
      o.key = ballots[i].key;
      o.first = static_cast<std::int32_t>(i);
    }
    o.total += ballots[i].weight;
    o.count++;
  }
  std::optional<VoteOutcome> best;
  for (const auto& [key, o] : tally) {
    if (!best || o.total > best->total ||
        (o.total == best->total &&
         (o.count > best->count || (o.count == best->count && o.first < best->first)))) {
      best = o;
    }
  }
  return best;
}

}  // namespace arbor::search
