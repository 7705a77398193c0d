// File: plugins/voc/classifier.h
//
// The learned categoriser: naive Bayes over the presence of character
// n-grams (1..3 code points inside words) of the NFKC-casefolded text
// (binary features: a text counts each n-gram once). Character
// n-grams fit Korean without a morphological analyser: "배송이", "배송은" and
// "배송비" share "배송" and its bigrams, so particles and endings need no
// stemming. A tenant's model is trained from its agents' corrections (and
// TrainClassifier); the counts live in the module's keyspace (classifier
// storage in classifier_store.h), and this file holds the pure arithmetic.
//
//   Model m;                                     // counts for the features asked
//   Train(Features(folded), "배송/지연", +1, &m);
//   Prediction p = Predict(m, Features(folded2));
#ifndef RAPPORT_PLUGINS_VOC_CLASSIFIER_H_
#define RAPPORT_PLUGINS_VOC_CLASSIFIER_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace rapport::voc {

// Character 1-, 2- and 3-grams of each word of `folded` (FoldText's
// output), words padded with a boundary mark; repeated n-grams repeat.
std::vector<std::string> Features(const std::string& folded);

// Counts, for every label: documents and feature occurrences; for each
// feature: its count per label; and the number of distinct features seen.
struct Model {
  struct Label {
    int64_t documents = 0;
    int64_t features = 0;
  };
  std::map<std::string, Label> labels;
  std::map<std::string, std::map<std::string, int64_t>> counts;  // feature -> label -> n
  int64_t vocabulary = 0;
};

// Adds (`sign` +1) or removes (-1) one labelled document (each distinct
// feature once).
void Train(const std::vector<std::string>& features, const std::string& label, int sign,
           Model* model);

struct Prediction {
  std::string label;        // "" when the model knows no label
  double confidence = 0.0;  // the label's posterior probability, 0..1
};
// The most probable label (Laplace smoothing, alpha 1) and a confidence:
// its posterior with the log-scores tempered by the square root of the
// number of distinct features (classifier.cc says why).
// `model` must hold the counts of every feature in `features` (absent ones
// count as never seen).
Prediction Predict(const Model& model, const std::vector<std::string>& features);

}  // namespace rapport::voc

#endif  // RAPPORT_PLUGINS_VOC_CLASSIFIER_H_
