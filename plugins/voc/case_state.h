// File: plugins/voc/case_state.h
//
// The case state machine (docs/voc.md, "States"):
//
//   new ──► open ◄──► pending_customer / on_hold
//    │       │              │
//    └───────┴──────► solved ◄┘ ──► closed (final)
//                       │
//                       └──► reopened ──► open, pending_customer, on_hold, solved
//
// new, open, pending_customer, on_hold and reopened may move to one another
// and to solved; solved moves to closed or reopened; closed never moves.
// pending_customer and on_hold pause the SLA clocks and need a reason.
#ifndef RAPPORT_PLUGINS_VOC_CASE_STATE_H_
#define RAPPORT_PLUGINS_VOC_CASE_STATE_H_

#include <string>

#include "rapport/voc/v1/voc.pb.h"

namespace rapport::voc {

// "new", "open", "pending_customer", ...
std::string StatusName(v1::CaseStatus status);
// Whether a case may move from `from` to `to` (never to itself).
bool CanMove(v1::CaseStatus from, v1::CaseStatus to);
// The states that pause the SLA clocks.
bool Pauses(v1::CaseStatus status);
// The states a case is being worked in (not solved or closed).
bool IsOpen(v1::CaseStatus status);

}  // namespace rapport::voc

#endif  // RAPPORT_PLUGINS_VOC_CASE_STATE_H_
