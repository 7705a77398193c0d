// File: plugins/voc/classifier.cc
#include "classifier.h"

#include <algorithm>
#include <cmath>

namespace rapport::voc {
namespace {

// The UTF-8 code points of `text`, each as its bytes.
std::vector<std::string> CodePoints(const std::string& text) {
  std::vector<std::string> out;
  for (size_t i = 0; i < text.size();) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    const size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : 4;
    out.push_back(text.substr(i, n));
    i += n;
  }
  return out;
}

// Word characters: letters and digits of any script. ASCII punctuation,
// spaces and the general punctuation and CJK symbol blocks split words.
bool Separator(const std::string& cp) {
  if (cp.size() == 1) {
    const char c = cp[0];
    return !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'));
  }
  const unsigned char b0 = static_cast<unsigned char>(cp[0]);
  const unsigned char b1 = static_cast<unsigned char>(cp[1]);
  // U+2000..U+206F general punctuation (E2 80..81), U+3000..U+303F CJK
  // symbols (E3 80), U+FF01..U+FF0F full-width punctuation (EF BC 81..8F).
  if (b0 == 0xE2 && (b1 == 0x80 || b1 == 0x81)) return true;
  if (b0 == 0xE3 && b1 == 0x80) return true;
  if (b0 == 0xC2) return true;  // U+0080..U+00BF: Latin-1 punctuation and symbols
  return false;
}

constexpr char kBoundary[] = "\x01";

}  // namespace

std::vector<std::string> Features(const std::string& folded) {
  std::vector<std::string> out;
  std::vector<std::string> word;
  auto flush = [&] {
    if (word.empty()) return;
    for (const std::string& cp : word) out.push_back(cp);
    std::vector<std::string> padded;
    padded.push_back(kBoundary);
    padded.insert(padded.end(), word.begin(), word.end());
    padded.push_back(kBoundary);
    for (size_t n = 2; n <= 3; ++n) {
      for (size_t i = 0; i + n <= padded.size(); ++i) {
        std::string gram;
        for (size_t k = 0; k < n; ++k) gram += padded[i + k];
        out.push_back(gram);
      }
    }
    word.clear();
  };
  for (const std::string& cp : CodePoints(folded)) {
    if (Separator(cp)) {
      flush();
    } else {
      word.push_back(cp);
    }
  }
  flush();
  return out;
}

std::vector<std::string> Distinct(const std::vector<std::string>& features) {
  std::vector<std::string> out = features;
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

void Train(const std::vector<std::string>& all_features, const std::string& label, int sign,
           Model* model) {
  const std::vector<std::string> features = Distinct(all_features);
  Model::Label& l = model->labels[label];
  l.documents += sign;
  l.features += sign * static_cast<int64_t>(features.size());
  for (const std::string& f : features) {
    auto& per_label = model->counts[f];
    if (sign > 0 && per_label.empty()) ++model->vocabulary;
    int64_t& n = per_label[label];
    n += sign;
    if (n <= 0) per_label.erase(label);
    if (sign < 0 && per_label.empty()) {
      model->counts.erase(f);
      --model->vocabulary;
    }
  }
  if (l.documents <= 0) model->labels.erase(label);
}

Prediction Predict(const Model& model, const std::vector<std::string>& features) {
  Prediction best;
  int64_t documents = 0;
  for (const auto& [label, l] : model.labels) documents += l.documents;
  if (documents <= 0) return best;
  const std::vector<std::string> occurrences = Distinct(features);
  const double vocabulary = static_cast<double>(std::max<int64_t>(model.vocabulary, 1));
  std::vector<std::pair<std::string, double>> scores;
  for (const auto& [label, l] : model.labels) {
    double score = std::log(static_cast<double>(l.documents) / static_cast<double>(documents));
    const double denominator = static_cast<double>(l.features) + vocabulary;
    for (const std::string& feature : occurrences) {
      int64_t n = 0;
      if (auto it = model.counts.find(feature); it != model.counts.end()) {
        if (auto jt = it->second.find(label); jt != it->second.end()) n = jt->second;
      }
      score += std::log((static_cast<double>(n) + 1.0) / denominator);
    }
    scores.emplace_back(label, score);
  }
  double top = -INFINITY;
  for (const auto& [label, score] : scores) {
    if (score > top) {
      top = score;
      best.label = label;
    }
  }
  // Naive Bayes multiplies one likelihood per feature as if they were
  // independent, which they are not (overlapping n-grams), so its raw
  // posteriors are near 0 or 1 for any text. The confidence divides the
  // log-scores by the square root of the number of features before
  // normalising, which on the labelled set makes a confidence of 0.7 mean
  // about nine right in ten (bench/voc/classifier_bench).
  const double temper = std::sqrt(static_cast<double>(std::max<size_t>(occurrences.size(), 1)));
  double total = 0.0;
  for (const auto& [label, score] : scores) total += std::exp((score - top) / temper);
  best.confidence = 1.0 / total;
  return best;
}

}  // namespace rapport::voc
