// File: plugins/voc/validation.h
//
// The checks VOC's inputs share: text, channels, categories, and the
// tenant's settings as a whole. Errors are INVALID_ARGUMENT naming the field.
#ifndef RAPPORT_PLUGINS_VOC_VALIDATION_H_
#define RAPPORT_PLUGINS_VOC_VALIDATION_H_

#include <string>

#include "rapport/sdk/call.h"
#include "rapport/voc/v1/voc.pb.h"

namespace rapport::voc {

using rapport::sdk::Call;
using rapport::sdk::Status;

// Customer or agent text: UTF-8, not blank, at most 64 KiB.
Status CheckText(const std::string& field, const std::string& text);
// [a-z0-9_]{1,32}.
Status CheckChannel(const std::string& field, const std::string& channel);
// A category (and subcategory, if any) of the taxonomy.
Status CheckCategory(const v1::Settings& settings, const std::string& field,
                     const std::string& category, const std::string& subcategory);
// The whole of `settings` (names under "settings."); users are checked to
// exist in the tenant.
Status CheckSettings(const Call& call, const v1::Settings& settings);

}  // namespace rapport::voc

#endif  // RAPPORT_PLUGINS_VOC_VALIDATION_H_
