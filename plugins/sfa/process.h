// File: plugins/sfa/process.h
//
// The sales process: pipeline validation (SetPipeline) and the rules an
// opportunity change must follow (the pre-commit hook). Pure functions over
// protobuf messages, no host calls, so they are tested directly.
#ifndef RAPPORT_PLUGINS_SFA_PROCESS_H_
#define RAPPORT_PLUGINS_SFA_PROCESS_H_

#include <string>
#include <vector>

#include "rapport/sdk/plugin.h"
#include "rapport/sfa/v1/sfa.pb.h"
#include "rapport/v1/opportunity.pb.h"

namespace rapport::sfa {

using rapport::sdk::Status;

// The exit criteria a stage may name, besides "attributes.<key>".
extern const char* const kCriteriaFields[];
std::string AllowedCriteria();

// Checks `request` against the current version (`current`, null for a new
// pipeline) and builds the pipeline to store, with its successor map
// updated. Leaves version, update_time and updated_by to the caller.
// Errors name the field: "stages[2].probability: must be 0..100, got 120".
Status BuildPipeline(const v1::SetPipelineRequest& request, const v1::Pipeline* current,
                     v1::Pipeline* out);

// Index of `stage` in `pipeline`, or -1.
int StageIndex(const v1::Pipeline& pipeline, const std::string& stage);
// The current stage an opportunity recorded in `stage` is in: the stage
// itself, the successor of a removed stage, or "" if neither.
std::string ResolveStage(const v1::Pipeline& pipeline, const std::string& stage);
std::vector<std::string> StageNames(const v1::Pipeline& pipeline);

// The forecast category of an opportunity recorded in (`pipeline`,
// `stage`) with status `status` ('o', 'w', 'l'): the resolved stage's, or
// from the status when the stage is not known (CLOSED_WON, CLOSED_LOST,
// PIPELINE).
v1::ForecastCategory CategoryOf(const v1::Pipeline* pipeline, const std::string& stage,
                                char status);
char StatusChar(rapport::v1::OpportunityStatus status);

// Whether `criterion` ("amount", "attributes.budget", ...) is set on `opp`.
bool CriterionMet(const std::string& criterion, const rapport::v1::Opportunity& opp);

// What Enforce decided.
struct Enforcement {
  bool managed = false;        // the opportunity is in a known pipeline
  bool stage_changed = false;  // entered a stage (creation counts)
  std::string pipeline;
  std::string from_stage;  // resolved; "" on entry
  std::string to_stage;
};

// Applies the sales process to a create (`before` null) or update of an
// opportunity, given the tenant's pipelines (current versions), amending
// `after` (pipeline default, resolved stage, probability, status).
//   - empty pipeline: the tenant's only pipeline if there is exactly one,
//     else the opportunity is left alone (unmanaged);
//   - unknown pipeline or stage, a stage of another pipeline, a pipeline
//     change: INVALID_ARGUMENT listing the valid names;
//   - a forward move (or a creation past the first stage) needs the exit
//     criteria of every stage it leaves or skips, except into a closed lost
//     or omitted stage: FAILED_PRECONDITION listing exactly what is missing;
//   - a backward move needs allow_backward_moves or the stage's
//     backward_stages: FAILED_PRECONDITION;
//   - entering a stage sets its probability unless the change sets one;
//   - the status follows the stage's category, and closed stages need a
//     close_reason (FAILED_PRECONDITION).
Status Enforce(const std::vector<v1::Pipeline>& pipelines, const rapport::v1::Opportunity* before,
               rapport::v1::Opportunity* after, Enforcement* result);

}  // namespace rapport::sfa

#endif  // RAPPORT_PLUGINS_SFA_PROCESS_H_
