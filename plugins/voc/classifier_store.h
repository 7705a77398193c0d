// File: plugins/voc/classifier_store.h
//
// A tenant's classifier (classifier.h) in the module's keyspace (keys in
// keyspace.h, "nb/"): documents and n-gram totals per label as counters,
// each n-gram's counts per label as a FeatureCounts record, the vocabulary
// size as a counter, and which label each case taught so an agent's second
// correction replaces the first instead of counting twice.
#ifndef RAPPORT_PLUGINS_VOC_CLASSIFIER_STORE_H_
#define RAPPORT_PLUGINS_VOC_CLASSIFIER_STORE_H_

#include <string>
#include <vector>

#include "classifier.h"
#include "rapport/sdk/call.h"

namespace rapport::voc {

using rapport::sdk::Call;
using rapport::sdk::Status;

// "배송/지연" ("배송" without a subcategory); names never hold '/'.
std::string LabelOf(const std::string& category, const std::string& subcategory);
void SplitLabel(const std::string& label, std::string* category, std::string* subcategory);

// The label totals, the vocabulary, and the counts of `features`.
Status LoadModel(const Call& call, const std::vector<std::string>& features, Model* out);

// Teaches (sign +1) or unteaches (-1) one example.
Status TrainStored(const Call& call, const std::vector<std::string>& features,
                   const std::string& label, int sign);

// Teaches the classifier that case `case_id`'s `text` is `label`, first
// unteaching what the case taught before (if anything).
Status LearnFromCase(const Call& call, const std::string& case_id, const std::string& text,
                     const std::string& label);

}  // namespace rapport::voc

#endif  // RAPPORT_PLUGINS_VOC_CLASSIFIER_STORE_H_
