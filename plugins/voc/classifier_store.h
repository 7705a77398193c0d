// File: plugins/voc/classifier_store.h
//
// A tenant's learned models (classifier.h) in the module's keyspace: the
// category classifier under "nb/", the sentiment model under "ns/"
// (keyspace.h, ModelKeys). For each: documents and n-gram totals per label as counters,
// each n-gram's counts per label as a FeatureCounts record, the vocabulary
// size as a counter, and which label each case taught so an agent's second
// correction replaces the first instead of counting twice.
#ifndef RAPPORT_PLUGINS_VOC_CLASSIFIER_STORE_H_
#define RAPPORT_PLUGINS_VOC_CLASSIFIER_STORE_H_

#include <string>
#include <vector>

#include "classifier.h"
#include "keyspace.h"
#include "rapport/sdk/call.h"
#include "rapport/voc/v1/voc.pb.h"

namespace rapport::voc {

using rapport::sdk::Call;
using rapport::sdk::Status;

// "배송/지연" ("배송" without a subcategory); names never hold '/'.
std::string LabelOf(const std::string& category, const std::string& subcategory);
void SplitLabel(const std::string& label, std::string* category, std::string* subcategory);

// Each function works on one model: the category classifier (the
// default) or the sentiment model (keys::kSentimentModel).
//
// The label totals, the vocabulary, and the counts of `features`.
Status LoadModel(const Call& call, const std::vector<std::string>& features, Model* out,
                 const keys::ModelKeys& model = keys::kCategoryModel);

// Teaches (sign +1) or unteaches (-1) one example.
Status TrainStored(const Call& call, const std::vector<std::string>& features,
                   const std::string& label, int sign,
                   const keys::ModelKeys& model = keys::kCategoryModel);

// Teaches the model that case `case_id`'s `text` is `label`, first
// unteaching what the case taught before (if anything).
Status LearnFromCase(const Call& call, const std::string& case_id, const std::string& text,
                     const std::string& label, const keys::ModelKeys& model = keys::kCategoryModel);

// Unteaches what case `case_id` taught the model, if anything (an agent
// cleared the value).
Status ForgetCase(const Call& call, const std::string& case_id, const std::string& text,
                  const keys::ModelKeys& model = keys::kCategoryModel);

// A sentiment as the sentiment model's label ("negative"), and back
// (SENTIMENT_UNSPECIFIED for anything else).
std::string SentimentLabel(v1::Sentiment sentiment);
v1::Sentiment SentimentOf(const std::string& label);

}  // namespace rapport::voc

#endif  // RAPPORT_PLUGINS_VOC_CLASSIFIER_STORE_H_
