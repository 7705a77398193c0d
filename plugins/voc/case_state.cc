// File: plugins/voc/case_state.cc
#include "case_state.h"

namespace rapport::voc {

std::string StatusName(v1::CaseStatus status) {
  switch (status) {
    case v1::CASE_STATUS_NEW:
      return "new";
    case v1::CASE_STATUS_OPEN:
      return "open";
    case v1::CASE_STATUS_PENDING_CUSTOMER:
      return "pending_customer";
    case v1::CASE_STATUS_ON_HOLD:
      return "on_hold";
    case v1::CASE_STATUS_SOLVED:
      return "solved";
    case v1::CASE_STATUS_CLOSED:
      return "closed";
    case v1::CASE_STATUS_REOPENED:
      return "reopened";
    default:
      return "unspecified";
  }
}

bool Pauses(v1::CaseStatus status) {
  return status == v1::CASE_STATUS_PENDING_CUSTOMER || status == v1::CASE_STATUS_ON_HOLD;
}

bool IsOpen(v1::CaseStatus status) {
  return status != v1::CASE_STATUS_SOLVED && status != v1::CASE_STATUS_CLOSED &&
         status != v1::CASE_STATUS_UNSPECIFIED;
}

bool CanMove(v1::CaseStatus from, v1::CaseStatus to) {
  if (from == to || to == v1::CASE_STATUS_UNSPECIFIED || to == v1::CASE_STATUS_NEW) return false;
  switch (from) {
    case v1::CASE_STATUS_NEW:
    case v1::CASE_STATUS_OPEN:
    case v1::CASE_STATUS_PENDING_CUSTOMER:
    case v1::CASE_STATUS_ON_HOLD:
    case v1::CASE_STATUS_REOPENED:
      return to == v1::CASE_STATUS_OPEN || to == v1::CASE_STATUS_PENDING_CUSTOMER ||
             to == v1::CASE_STATUS_ON_HOLD || to == v1::CASE_STATUS_SOLVED;
    case v1::CASE_STATUS_SOLVED:
      return to == v1::CASE_STATUS_CLOSED || to == v1::CASE_STATUS_REOPENED;
    default:
      return false;  // closed is final
  }
}

}  // namespace rapport::voc
