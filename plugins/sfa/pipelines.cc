// File: plugins/sfa/pipelines.cc
//
// The sales process: defining pipelines (SetPipeline, versioned), reading
// them, and enforcing them on opportunity writes (the pre-commit hook, which
// also records the stage history in the opportunity's batch). The rules
// themselves are pure functions in process.cc.
#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "aggregates.h"
#include "handler_util.h"
#include "handlers.h"
#include "keyspace.h"
#include "process.h"
#include "util.h"

namespace rapport::sfa {

using rapport::v1::Opportunity;

Status EnforceProcess(Call& call, const Opportunity* before, Opportunity* after, int64_t now) {
  std::vector<v1::Pipeline> pipelines = LoadPipelines(call);
  if (pipelines.empty()) return {};  // no sales process defined yet
  Enforcement e;
  if (Status s = Enforce(pipelines, before, after, &e); !s.ok()) return s;
  if (!e.managed || !e.stage_changed) return {};
  int64_t entered = now;
  if (before) {
    auto stored = call.Get(keys::StageEntered(after->id()));
    entered = stored ? std::stoll(*stored) : ToMicros(before->create_time());
  }
  v1::StageChange change;
  change.set_opportunity_id(after->id());
  change.set_pipeline(e.pipeline);
  change.set_from_stage(e.from_stage);
  change.set_to_stage(e.to_stage);
  change.set_changed_by(call.user());
  *change.mutable_change_time() = TimestampFromMicros(now);
  if (!e.from_stage.empty()) {
    *change.mutable_time_in_previous_stage() =
        DurationFromMicros(std::max<int64_t>(0, now - entered));
  }
  change.set_revision(after->revision());
  if (Status s = Save(call, keys::StageChange(after->id(), after->revision(), now), change);
      !s.ok()) {
    return s;
  }
  return call.Put(keys::StageEntered(after->id()), std::to_string(now));
}

Status SetPipeline(Call& call, const v1::SetPipelineRequest& request, int64_t now,
                   v1::Pipeline* out) {
  if (!call.HasRole("admin")) {
    return Status::PermissionDenied("defining a sales process needs the admin role");
  }
  const std::string& name = request.pipeline().name();
  if (!IsKeySafeName(name)) {
    return Status::Invalid("pipeline.name: '" + name +
                           "' must be 1..64 characters without '/' or control characters");
  }
  std::optional<v1::Pipeline> current = LoadPipeline(call, name);
  if (!current && request.expected_version() != 0) {
    return Status::NotFound("pipeline '" + name + "' does not exist (expected_version " +
                            std::to_string(request.expected_version()) + ")");
  }
  if (current && request.expected_version() == 0) {
    return Status::AlreadyExists("pipeline '" + name + "' exists at version " +
                                 std::to_string(current->version()) +
                                 "; pass expected_version to replace it");
  }
  if (current && request.expected_version() != current->version()) {
    return Aborted("pipeline '" + name + "' was changed concurrently; current version is " +
                   std::to_string(current->version()) + ". Read it again and retry");
  }
  v1::Pipeline next;
  if (Status s = BuildPipeline(request, current ? &*current : nullptr, &next); !s.ok()) return s;
  next.set_version(current ? current->version() + 1 : 1);
  *next.mutable_update_time() = TimestampFromMicros(now);
  next.set_updated_by(call.user());
  if (Status s = Save(call, keys::Pipeline(name), next); !s.ok()) return s;
  if (Status s = Save(call, keys::PipelineVersion(name, next.version()), next); !s.ok()) return s;
  *out = std::move(next);
  return {};
}

Status GetPipeline(Call& call, const v1::GetPipelineRequest& request, v1::Pipeline* out) {
  if (!IsKeySafeName(request.name())) return Status::Invalid("name: is required");
  std::optional<v1::Pipeline> p =
      request.version() == 0
          ? LoadPipeline(call, request.name())
          : Load<v1::Pipeline>(call, keys::PipelineVersion(request.name(), request.version()));
  if (!p) {
    return Status::NotFound(
        "pipeline '" + request.name() + "'" +
        (request.version() ? " version " + std::to_string(request.version()) : std::string()) +
        " not found");
  }
  *out = std::move(*p);
  return {};
}

Status ListPipelines(Call& call, const v1::ListPipelinesRequest&, v1::ListPipelinesResponse* out) {
  for (auto& p : LoadPipelines(call)) *out->add_pipelines() = std::move(p);
  return {};
}

std::string PipelineName(const Call& call, const std::string& name) {
  if (!name.empty()) return name;
  auto all = LoadPipelines(call);
  return all.size() == 1 ? all[0].name() : "";
}

Status FindPipeline(const Call& call, const std::string& requested) {
  const std::string name = PipelineName(call, requested);
  if (name.empty()) {
    return Status::Invalid("pipeline: is required (the tenant has several or none)");
  }
  if (!IsKeySafeName(name) || !LoadPipeline(call, name)) {
    return Status::NotFound("pipeline '" + name + "' not found");
  }
  return {};
}

Status GetStageHistory(Call& call, const v1::GetStageHistoryRequest& request,
                       v1::GetStageHistoryResponse* out) {
  auto opp = ReadOpportunity(call, request.opportunity_id());
  if (!opp) return OpportunityNotFound("opportunity_id", request.opportunity_id());
  call.Scan(keys::StageHistoryPrefix(opp->id()), [&](const std::string&, const std::string& value) {
    if (!out->add_changes()->ParseFromString(value)) out->mutable_changes()->RemoveLast();
    return true;
  });
  return {};
}

}  // namespace rapport::sfa
