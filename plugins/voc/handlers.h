// File: plugins/voc/handlers.h
//
// The VocService methods (protos/rapport/voc/v1/voc.proto, docs/voc.md),
// one function each, grouped by the file that defines them; voc_plugin.cc
// registers them. Handlers take `now` (micros, the host's clock).
#ifndef RAPPORT_PLUGINS_VOC_HANDLERS_H_
#define RAPPORT_PLUGINS_VOC_HANDLERS_H_

#include <cstdint>

#include "rapport/sdk/call.h"
#include "rapport/v1/interaction.pb.h"
#include "rapport/voc/v1/voc.pb.h"

namespace rapport::voc {

using rapport::sdk::Call;
using rapport::sdk::Status;

// ---- capture.cc: one-step capture
Status CaptureCase(Call& call, const v1::CaptureCaseRequest& request, int64_t now, v1::Case* out);
Status BatchCaptureCases(Call& call, const v1::BatchCaptureCasesRequest& request, int64_t now,
                         v1::BatchCaptureCasesResponse* out);
Status CaptureFromInteraction(Call& call, const v1::CaptureFromInteractionRequest& request,
                              int64_t now, v1::Case* out);
// The post-commit hook on interaction creates: an inbound interaction is
// counted for the capture rate and, of a kind in Settings.auto_capture_kinds,
// becomes a case (once).
Status OnInteraction(const Call& call, const rapport::v1::Interaction& interaction,
                     int64_t commit_micros, int64_t now);

// ---- cases.cc: reading and working a case
Status GetCase(Call& call, const v1::GetCaseRequest& request, int64_t now, v1::Case* out);
Status ListCases(Call& call, const v1::ListCasesRequest& request, int64_t now,
                 v1::ListCasesResponse* out);
Status ListCaseEvents(Call& call, const v1::ListCaseEventsRequest& request, int64_t now,
                      v1::ListCaseEventsResponse* out);
Status ChangeCaseStatus(Call& call, const v1::ChangeCaseStatusRequest& request, int64_t now,
                        v1::Case* out);
Status AddCaseMessage(Call& call, const v1::AddCaseMessageRequest& request, int64_t now,
                      v1::Case* out);
Status AssignCase(Call& call, const v1::AssignCaseRequest& request, int64_t now, v1::Case* out);
Status ClassifyCase(Call& call, const v1::ClassifyCaseRequest& request, int64_t now, v1::Case* out);
Status LinkCase(Call& call, const v1::LinkCaseRequest& request, int64_t now, v1::Case* out);
Status RecordCsat(Call& call, const v1::RecordCsatRequest& request, int64_t now, v1::Case* out);
Status TrainClassifier(Call& call, const v1::TrainClassifierRequest& request, int64_t now,
                       v1::TrainClassifierResponse* out);

// ---- settings.cc: the tenant's configuration and calendar
Status GetSettings(Call& call, const v1::GetSettingsRequest& request, int64_t now,
                   v1::Settings* out);
Status UpdateSettings(Call& call, const v1::UpdateSettingsRequest& request, int64_t now,
                      v1::Settings* out);
Status GetCalendar(Call& call, const v1::GetCalendarRequest& request, int64_t now,
                   v1::BusinessCalendar* out);
Status SetCalendar(Call& call, const v1::SetCalendarRequest& request, int64_t now,
                   v1::SetCalendarResponse* out);
Status ListHolidays(Call& call, const v1::ListHolidaysRequest& request, int64_t now,
                    v1::ListHolidaysResponse* out);

}  // namespace rapport::voc

#endif  // RAPPORT_PLUGINS_VOC_HANDLERS_H_
