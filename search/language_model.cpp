#include "search/language_model.h"

#include "search/status_macros.h"

namespace arbor::search {

const char* finish_name(Finish finish) {
  switch (finish) {
    case Finish::kLength:
      return "length";
    case Finish::kStop:
      return "stop";
    case Finish::kEos:
      return "eos";
  }
  return "?";
}

Task<StatusOr<std::vector<float>>> LanguageModel::value(ContextPtr, std::string head) {
  co_return Status::unimplemented("this language model has no reward heads (asked for '" + head +
                                  "')");
}

Task<StatusOr<Sample>> LanguageModel::complete(ContextPtr context, SampleParams params) {
  params.temperature = 0.0f;
  ARBOR_CO_ASSIGN_OR_RETURN(std::vector<Sample> samples,
                            co_await sample(std::move(context), 1, std::move(params)));
  if (samples.size() != 1) co_return Status::internal("complete: the model returned no sample");
  co_return std::move(samples.front());
}

}  // namespace arbor::search
