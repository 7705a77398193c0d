// File: plugins/voc/classifier_store.cc
#include "classifier_store.h"

#include <map>
#include <optional>

#include "case_store.h"
#include "keyspace.h"
#include "rapport/voc/v1/voc_storage.pb.h"
#include "text_match.h"

namespace rapport::voc {
namespace {

Status ReadFeature(const Call& call, const keys::ModelKeys& model, const std::string& feature,
                   v1::FeatureCounts* out) {
  out->Clear();
  std::optional<std::string> bytes;
  if (Status s = call.Read(model.feature + feature, &bytes); !s.ok()) return s;
  if (bytes && !out->ParseFromString(*bytes)) {
    return Status::Internal("voc keyspace: a classifier feature record does not parse");
  }
  return {};
}

}  // namespace

std::string LabelOf(const std::string& category, const std::string& subcategory) {
  return subcategory.empty() ? category : category + "/" + subcategory;
}

void SplitLabel(const std::string& label, std::string* category, std::string* subcategory) {
  const size_t slash = label.find('/');
  *category = label.substr(0, slash);
  *subcategory = slash == std::string::npos ? "" : label.substr(slash + 1);
}

Status LoadModel(const Call& call, const std::vector<std::string>& features, Model* out,
                 const keys::ModelKeys& model) {
  *out = Model();
  if (Status s = ScanCounters(call, model.documents,
                              [&](const std::string& label, int64_t n) {
                                if (n > 0) out->labels[label].documents = n;
                                return true;
                              });
      !s.ok()) {
    return s;
  }
  if (Status s = ScanCounters(call, model.features,
                              [&](const std::string& label, int64_t n) {
                                if (auto it = out->labels.find(label); it != out->labels.end()) {
                                  it->second.features = n;
                                }
                                return true;
                              });
      !s.ok()) {
    return s;
  }
  if (Status s = ReadCounter(call, model.vocabulary, &out->vocabulary); !s.ok()) return s;
  std::map<std::string, bool> distinct;
  for (const std::string& f : features) distinct[f] = true;
  for (const auto& [feature, unused] : distinct) {
    v1::FeatureCounts counts;
    if (Status s = ReadFeature(call, model, feature, &counts); !s.ok()) return s;
    if (counts.counts().empty()) continue;
    out->counts[feature] =
        std::map<std::string, int64_t>(counts.counts().begin(), counts.counts().end());
  }
  return {};
}

Status TrainStored(const Call& call, const std::vector<std::string>& features,
                   const std::string& label, int sign, const keys::ModelKeys& model) {
  // Each distinct feature once (classifier.h: binary features).
  std::map<std::string, int64_t> times;
  for (const std::string& f : features) times[f] = 1;
  for (const auto& [feature, n] : times) {
    v1::FeatureCounts counts;
    if (Status s = ReadFeature(call, model, feature, &counts); !s.ok()) return s;
    const bool was_empty = counts.counts().empty();
    int64_t& count = (*counts.mutable_counts())[label];
    count += sign * n;
    if (count <= 0) counts.mutable_counts()->erase(label);
    if (counts.counts().empty()) {
      if (!was_empty) {
        if (Status s = call.Delete(model.feature + feature); !s.ok()) return s;
        if (Status s = call.Increment(model.vocabulary, -1); !s.ok()) return s;
      }
      continue;
    }
    if (was_empty) {
      if (Status s = call.Increment(model.vocabulary, 1); !s.ok()) return s;
    }
    if (Status s = call.Put(model.feature + feature, counts.SerializeAsString()); !s.ok()) {
      return s;
    }
  }
  if (Status s = call.Increment(model.documents + label, sign); !s.ok()) return s;
  return call.Increment(model.features + label, sign * static_cast<int64_t>(times.size()));
}

Status LearnFromCase(const Call& call, const std::string& case_id, const std::string& text,
                     const std::string& label, const keys::ModelKeys& model) {
  std::string folded;
  if (!FoldText(text, &folded)) return Status::Invalid("text: is not valid UTF-8");
  const std::vector<std::string> features = Features(folded);
  std::optional<std::string> previous;
  if (Status s = call.Read(model.case_label + case_id, &previous); !s.ok()) return s;
  if (previous && *previous == label) return {};
  if (previous) {
    if (Status s = TrainStored(call, features, *previous, -1, model); !s.ok()) return s;
  }
  if (Status s = TrainStored(call, features, label, +1, model); !s.ok()) return s;
  return call.Put(model.case_label + case_id, label);
}

Status ForgetCase(const Call& call, const std::string& case_id, const std::string& text,
                  const keys::ModelKeys& model) {
  std::optional<std::string> previous;
  if (Status s = call.Read(model.case_label + case_id, &previous); !s.ok()) return s;
  if (!previous) return {};
  std::string folded;
  if (!FoldText(text, &folded)) return Status::Invalid("text: is not valid UTF-8");
  if (Status s = TrainStored(call, Features(folded), *previous, -1, model); !s.ok()) return s;
  return call.Delete(model.case_label + case_id);
}

std::string SentimentLabel(v1::Sentiment sentiment) {
  switch (sentiment) {
    case v1::SENTIMENT_NEGATIVE:
      return "negative";
    case v1::SENTIMENT_NEUTRAL:
      return "neutral";
    case v1::SENTIMENT_POSITIVE:
      return "positive";
    default:
      return "";
  }
}

v1::Sentiment SentimentOf(const std::string& label) {
  if (label == "negative") return v1::SENTIMENT_NEGATIVE;
  if (label == "neutral") return v1::SENTIMENT_NEUTRAL;
  if (label == "positive") return v1::SENTIMENT_POSITIVE;
  return v1::SENTIMENT_UNSPECIFIED;
}

}  // namespace rapport::voc
