#include "process.h"

#include <algorithm>
#include <map>
#include <set>

#include "util.h"

namespace rapport::sfa {

const char* const kCriteriaFields[] = {
    "amount", "expected_close_date", "close_reason", "owner", "customer_id", "tags", nullptr};

std::string AllowedCriteria() {
  std::vector<std::string> names;
  for (int i = 0; kCriteriaFields[i]; ++i) names.push_back(kCriteriaFields[i]);
  names.push_back("attributes.<key>");
  return Join(names, ", ");
}

namespace {

bool IsCriterion(const std::string& name) {
  for (int i = 0; kCriteriaFields[i]; ++i) {
    if (name == kCriteriaFields[i]) return true;
  }
  return StartsWith(name, "attributes.") && name.size() > 11;
}

bool Contains(const google::protobuf::RepeatedPtrField<std::string>& list, const std::string& s) {
  return std::find(list.begin(), list.end(), s) != list.end();
}

std::string Quoted(const std::vector<std::string>& names) {
  std::vector<std::string> q;
  for (const auto& n : names) q.push_back("'" + n + "'");
  return Join(q, ", ");
}

}  // namespace

Status BuildPipeline(const v1::SetPipelineRequest& request, const v1::Pipeline* current,
                     v1::Pipeline* out) {
  const v1::Pipeline& p = request.pipeline();
  if (!IsKeySafeName(p.name())) {
    return Status::Invalid("pipeline.name: '" + p.name() +
                           "' must be 1..64 characters without '/' or control characters");
  }
  if (p.stages().empty()) {
    return Status::Invalid("pipeline.stages: a pipeline needs at least one stage");
  }
  if (p.stages_size() > 50) return Status::Invalid("pipeline.stages: at most 50 stages");
  if (p.display_name().size() > 200) {
    return Status::Invalid("pipeline.display_name: at most 200 characters");
  }
  std::map<std::string, int> index;
  for (int i = 0; i < p.stages_size(); ++i) {
    const v1::Stage& s = p.stages(i);
    const std::string at = "pipeline.stages[" + std::to_string(i) + "]";
    if (!IsKeySafeName(s.name())) {
      return Status::Invalid(at + ".name: '" + s.name() +
                             "' must be 1..64 characters without '/' or control characters");
    }
    if (auto [it, inserted] = index.emplace(s.name(), i); !inserted) {
      return Status::Invalid(at + ".name: duplicate stage name '" + s.name() + "' (also stages[" +
                             std::to_string(it->second) + "])");
    }
    if (s.probability() < 0 || s.probability() > 100) {
      return Status::Invalid(at + ".probability: must be 0..100, got " +
                             std::to_string(s.probability()));
    }
    if (s.forecast_category() == v1::FORECAST_CATEGORY_UNSPECIFIED ||
        !v1::ForecastCategory_IsValid(s.forecast_category())) {
      return Status::Invalid(at + ".forecast_category: is required");
    }
    std::set<std::string> seen;
    for (int j = 0; j < s.exit_criteria_size(); ++j) {
      const std::string& c = s.exit_criteria(j);
      if (!IsCriterion(c)) {
        return Status::Invalid(at + ".exit_criteria[" + std::to_string(j) + "]: unknown field '" +
                               c + "' (allowed: " + AllowedCriteria() + ")");
      }
      if (!seen.insert(c).second) {
        return Status::Invalid(at + ".exit_criteria[" + std::to_string(j) + "]: '" + c +
                               "' is listed twice");
      }
    }
  }
  for (int i = 0; i < p.stages_size(); ++i) {
    const v1::Stage& s = p.stages(i);
    for (int j = 0; j < s.backward_stages_size(); ++j) {
      auto it = index.find(s.backward_stages(j));
      if (it == index.end() || it->second >= i) {
        return Status::Invalid("pipeline.stages[" + std::to_string(i) + "].backward_stages[" +
                               std::to_string(j) + "]: '" + s.backward_stages(j) +
                               "' is not a stage before '" + s.name() + "'");
      }
    }
  }

  // Removed stages need a successor among the new stages.
  std::map<std::string, std::string> successors;
  if (current) successors.insert(current->successors().begin(), current->successors().end());
  std::set<std::string> removed;
  if (current) {
    for (const auto& s : current->stages()) {
      if (!index.count(s.name())) removed.insert(s.name());
    }
  }
  std::map<std::string, std::string> given;
  for (int i = 0; i < request.removed_stage_successors_size(); ++i) {
    const auto& m = request.removed_stage_successors(i);
    const std::string at = "removed_stage_successors[" + std::to_string(i) + "]";
    if (!removed.count(m.removed_stage())) {
      return Status::Invalid(
          at + ".removed_stage: '" + m.removed_stage() + "' is not a stage this change removes" +
          (removed.empty() ? std::string(" (it removes none)")
                           : " (removed: " + Quoted({removed.begin(), removed.end()}) + ")"));
    }
    if (!index.count(m.successor_stage())) {
      return Status::Invalid(
          at + ".successor_stage: '" + m.successor_stage() +
          "' is not a stage of the new pipeline (stages: " + Quoted(StageNames(p)) + ")");
    }
    given[m.removed_stage()] = m.successor_stage();
  }
  for (const auto& r : removed) {
    if (!given.count(r)) {
      return Status::Invalid("removed_stage_successors: stage '" + r +
                             "' is removed; name the stage its opportunities move to");
    }
  }
  // Flatten: every old successor that is now removed points at its new one;
  // a stage that is back is no longer a successor-mapped name.
  for (auto& [from, to] : successors) {
    if (given.count(to)) to = given[to];
  }
  for (const auto& [from, to] : given) successors[from] = to;
  for (auto it = successors.begin(); it != successors.end();) {
    if (index.count(it->first)) {
      it = successors.erase(it);
    } else {
      ++it;
    }
  }

  *out = p;
  out->clear_version();
  out->clear_update_time();
  out->clear_updated_by();
  out->clear_successors();
  for (const auto& [from, to] : successors) (*out->mutable_successors())[from] = to;
  return {};
}

int StageIndex(const v1::Pipeline& pipeline, const std::string& stage) {
  for (int i = 0; i < pipeline.stages_size(); ++i) {
    if (pipeline.stages(i).name() == stage) return i;
  }
  return -1;
}

std::string ResolveStage(const v1::Pipeline& pipeline, const std::string& stage) {
  if (StageIndex(pipeline, stage) >= 0) return stage;
  auto it = pipeline.successors().find(stage);
  if (it != pipeline.successors().end() && StageIndex(pipeline, it->second) >= 0) {
    return it->second;
  }
  return "";
}

std::vector<std::string> StageNames(const v1::Pipeline& pipeline) {
  std::vector<std::string> names;
  for (const auto& s : pipeline.stages()) names.push_back(s.name());
  return names;
}

char StatusChar(rapport::v1::OpportunityStatus status) {
  switch (status) {
    case rapport::v1::OPPORTUNITY_STATUS_WON:
      return 'w';
    case rapport::v1::OPPORTUNITY_STATUS_LOST:
      return 'l';
    default:
      return 'o';
  }
}

v1::ForecastCategory CategoryOf(const v1::Pipeline* pipeline, const std::string& stage,
                                char status) {
  if (pipeline) {
    int i = StageIndex(*pipeline, ResolveStage(*pipeline, stage));
    if (i >= 0) return pipeline->stages(i).forecast_category();
  }
  if (status == 'w') return v1::FORECAST_CATEGORY_CLOSED_WON;
  if (status == 'l') return v1::FORECAST_CATEGORY_CLOSED_LOST;
  return v1::FORECAST_CATEGORY_PIPELINE;
}

bool CriterionMet(const std::string& c, const rapport::v1::Opportunity& o) {
  if (c == "amount") return o.has_amount() && !o.amount().currency_code().empty();
  if (c == "expected_close_date") {
    return o.has_expected_close_date() && o.expected_close_date().year() != 0;
  }
  if (c == "close_reason") return !o.close_reason().empty();
  if (c == "owner") return !o.owner().empty();
  if (c == "customer_id") return !o.customer_id().empty();
  if (c == "tags") return o.tags_size() > 0;
  if (StartsWith(c, "attributes.")) return o.attributes().count(c.substr(11)) > 0;
  return false;
}

Status Enforce(const std::vector<v1::Pipeline>& pipelines, const rapport::v1::Opportunity* before,
               rapport::v1::Opportunity* after, Enforcement* result) {
  *result = Enforcement{};
  const bool had_pipeline = before && !before->pipeline().empty();
  if (after->pipeline().empty()) {
    if (had_pipeline) {
      return Status::Invalid("pipeline: cannot be cleared (the opportunity is in pipeline '" +
                             before->pipeline() + "')");
    }
    if (pipelines.size() != 1) return {};  // unmanaged: none, or no single default
    // An update that leaves an unmanaged opportunity's stage as it was, and
    // that stage is not one of the pipeline's (data from before the process
    // was defined), stays unmanaged: editing its amount must not fail.
    if (before && !after->stage().empty() && after->stage() == before->stage() &&
        StageIndex(pipelines[0], after->stage()) < 0) {
      return {};
    }
    after->set_pipeline(pipelines[0].name());
  }
  const v1::Pipeline* pipeline = nullptr;
  std::vector<std::string> names;
  for (const auto& p : pipelines) {
    names.push_back(p.name());
    if (p.name() == after->pipeline()) pipeline = &p;
  }
  if (!pipeline) {
    return Status::Invalid(
        "pipeline: unknown pipeline '" + after->pipeline() + "' (" +
        (names.empty() ? std::string("no pipelines are defined") : "pipelines: " + Quoted(names)) +
        ")");
  }
  if (had_pipeline && before->pipeline() != after->pipeline()) {
    return Status::Invalid("pipeline: an opportunity cannot move from pipeline '" +
                           before->pipeline() + "' to '" + after->pipeline() + "'");
  }
  const std::string valid =
      " (stages of '" + pipeline->name() + "': " + Quoted(StageNames(*pipeline)) + ")";
  const std::string from = had_pipeline ? ResolveStage(*pipeline, before->stage()) : "";
  std::string stage = after->stage();
  if (stage.empty()) {
    if (!from.empty()) return Status::Invalid("stage: is required" + valid);
    stage = pipeline->stages(0).name();
  } else if (had_pipeline && stage == before->stage()) {
    // Unchanged, possibly a stage removed since: the successor takes over.
    std::string resolved = ResolveStage(*pipeline, stage);
    if (!resolved.empty()) stage = resolved;
  }
  const int to_index = StageIndex(*pipeline, stage);
  if (to_index < 0) {
    for (const auto& other : pipelines) {
      if (&other != pipeline && StageIndex(other, stage) >= 0) {
        return Status::Invalid("stage: '" + stage + "' is a stage of pipeline '" + other.name() +
                               "', not of '" + pipeline->name() + "'" + valid);
      }
    }
    return Status::Invalid("stage: unknown stage '" + stage + "'" + valid);
  }
  after->set_stage(stage);
  const int from_index = from.empty() ? -1 : StageIndex(*pipeline, from);
  const v1::Stage& to = pipeline->stages(to_index);
  result->managed = true;
  result->pipeline = pipeline->name();
  // An opportunity still recorded in a removed stage moves to the stage's
  // successor on its next update: a stage change (history, probability)
  // without the move rules, which the pipeline's editor decided.
  const bool remapped = had_pipeline && !from.empty() && before->stage() != from;
  result->from_stage = remapped ? before->stage() : from;
  result->to_stage = stage;
  result->stage_changed = from_index != to_index || (remapped && before->stage() != stage);

  if (from_index != to_index) {
    if (from_index >= 0 && to_index < from_index) {
      const v1::Stage& from_stage = pipeline->stages(from_index);
      if (!pipeline->allow_backward_moves() && !Contains(from_stage.backward_stages(), to.name())) {
        std::vector<std::string> allowed(from_stage.backward_stages().begin(),
                                         from_stage.backward_stages().end());
        return Status::FailedPrecondition(
            "stage: moving back from '" + from + "' to '" + stage +
            "' is not allowed in pipeline '" + pipeline->name() + "' (" +
            (allowed.empty() ? std::string("no backward moves from '" + from + "'")
                             : "allowed: " + Quoted(allowed)) +
            ")");
      }
    } else if (to.forecast_category() != v1::FORECAST_CATEGORY_CLOSED_LOST &&
               to.forecast_category() != v1::FORECAST_CATEGORY_OMITTED) {
      std::vector<std::string> missing;
      std::vector<std::string> left;
      for (int k = std::max(from_index, 0); k < to_index; ++k) {
        left.push_back(pipeline->stages(k).name());
        for (const auto& c : pipeline->stages(k).exit_criteria()) {
          if (!CriterionMet(c, *after) &&
              std::find(missing.begin(), missing.end(), c) == missing.end()) {
            missing.push_back(c);
          }
        }
      }
      if (!missing.empty()) {
        return Status::FailedPrecondition(
            "stage: moving " + (from.empty() ? std::string("into") : "from '" + from + "' to") +
            " '" + stage + "' needs the exit criteria of " + Quoted(left) +
            "; missing: " + Join(missing, ", "));
      }
    }
  }
  if (result->stage_changed) {
    const bool probability_set =
        before ? after->probability() != before->probability() : after->probability() != 0;
    if (!probability_set) after->set_probability(to.probability());
  }

  rapport::v1::OpportunityStatus want = rapport::v1::OPPORTUNITY_STATUS_OPEN;
  if (to.forecast_category() == v1::FORECAST_CATEGORY_CLOSED_WON) {
    want = rapport::v1::OPPORTUNITY_STATUS_WON;
  } else if (to.forecast_category() == v1::FORECAST_CATEGORY_CLOSED_LOST) {
    want = rapport::v1::OPPORTUNITY_STATUS_LOST;
  }
  // On create, OPEN is the core's default (set before hooks run), so it does
  // not count as the caller's choice.
  const bool status_set = before ? after->status() != before->status()
                                 : after->status() != rapport::v1::OPPORTUNITY_STATUS_UNSPECIFIED &&
                                       after->status() != rapport::v1::OPPORTUNITY_STATUS_OPEN;
  if (status_set && after->status() != want) {
    return Status::Invalid("status: follows the stage in pipeline '" + pipeline->name() +
                           "'; move the opportunity to a closed won or closed lost stage" + valid);
  }
  after->set_status(want);
  if (want != rapport::v1::OPPORTUNITY_STATUS_OPEN && after->close_reason().empty()) {
    return Status::FailedPrecondition(
        "close_reason: is required to close the opportunity in stage '" + stage + "'");
  }
  return {};
}

}  // namespace rapport::sfa
