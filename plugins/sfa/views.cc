// File: plugins/sfa/views.cc
//
// Pipeline views: the funnel and stalled deals, answered from the
// aggregates the post-commit hooks keep (aggregates.h), never by scanning
// opportunities.
#include <string>

#include "aggregates.h"
#include "handler_util.h"
#include "handlers.h"

namespace rapport::sfa {

Status GetFunnel(Call& call, const v1::GetFunnelRequest& request, v1::GetFunnelResponse* out) {
  if (Status s = FindPipeline(call, request.pipeline()); !s.ok()) return s;
  auto pipeline = LoadPipeline(call, PipelineName(call, request.pipeline()));
  return BuildFunnel(call, call.Scope(), *pipeline, out);
}

Status ListStalledDeals(Call& call, const v1::ListStalledDealsRequest& request, int64_t now,
                        v1::ListStalledDealsResponse* out) {
  if (Status s = FindPipeline(call, request.pipeline()); !s.ok()) return s;
  if (request.days() < 1 || request.days() > 3650) {
    return Status::Invalid("days: must be 1..3650, got " + std::to_string(request.days()));
  }
  auto pipeline = LoadPipeline(call, PipelineName(call, request.pipeline()));
  return ListStalled(call, *pipeline, now - request.days() * kMicrosPerDay,
                     PageSize(request.page_size(), 100, 1000), request.page_token(), out);
}

}  // namespace rapport::sfa
