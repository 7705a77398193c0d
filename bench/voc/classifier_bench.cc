// classifier_bench: how well the VOC module's learned categoriser
// (plugins/voc/classifier.h, naive Bayes over character n-grams) files
// Korean customer messages, on the labelled set tests/data/voc_messages.tsv
// (1,254 messages, 10 categories; tests/data/make_voc_messages.py says how
// it was written). Held out: every base message whose index in its category
// is a multiple of 5, with all its variants, so no test sentence was seen in
// training in another form. Reports accuracy and macro-F1 on the held-out
// split, per-category precision/recall/F1, and, at the module's default
// confidence threshold, the share of messages it files without a person and
// how accurate those are. Uses the same code as the module (Features,
// Train, Predict, FoldText); a quality measure, not a timing one.
//
//   build/bench/voc/classifier_bench [--data tests/data/voc_messages.tsv]
//       [--threshold 0.7] [--out results.json]
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "classifier.h"
#include "text_match.h"

namespace {

struct Example {
  std::string label, group, text;
};

bool Load(const std::string& path, std::vector<Example>* out) {
  std::ifstream in(path);
  if (!in) return false;
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    const size_t a = line.find('\t');
    const size_t b = line.find('\t', a + 1);
    if (a == std::string::npos || b == std::string::npos) return false;
    out->push_back({line.substr(0, a), line.substr(a + 1, b - a - 1), line.substr(b + 1)});
  }
  return !out->empty();
}

bool HeldOut(const std::string& group) {
  // "<category>-NN": base NN of its category.
  const int index = std::stoi(group.substr(group.rfind('-') + 1));
  return index % 5 == 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"VOC classifier accuracy on the labelled Korean set"};
  std::string data = std::string(RAPPORT_SOURCE_DIR) + "/tests/data/voc_messages.tsv";
  double threshold = 0.7;
  std::string out_path;
  app.add_option("--data", data, "the labelled TSV (category, group, text)");
  app.add_option("--threshold", threshold, "the confidence at which a case is filed unattended");
  app.add_option("--out", out_path, "also write the figures as JSON here");
  CLI11_PARSE(app, argc, argv);

  std::vector<Example> examples;
  if (!Load(data, &examples)) {
    std::cerr << "cannot read " << data << "\n";
    return 2;
  }
  rapport::voc::Model model;
  std::vector<const Example*> test;
  const auto start = std::chrono::steady_clock::now();
  size_t trained = 0;
  for (const Example& e : examples) {
    if (HeldOut(e.group)) {
      test.push_back(&e);
      continue;
    }
    std::string folded;
    rapport::voc::FoldText(e.text, &folded);
    rapport::voc::Train(rapport::voc::Features(folded), e.label, +1, &model);
    ++trained;
  }
  const auto trained_at = std::chrono::steady_clock::now();
  std::map<std::string, int> tp, fp, fn;
  std::set<std::string> labels;
  int correct = 0, confident = 0, confident_correct = 0;
  for (const Example* e : test) {
    std::string folded;
    rapport::voc::FoldText(e->text, &folded);
    const rapport::voc::Prediction p = rapport::voc::Predict(model, rapport::voc::Features(folded));
    labels.insert(e->label);
    if (p.label == e->label) {
      ++correct;
      ++tp[e->label];
    } else {
      ++fp[p.label];
      ++fn[e->label];
    }
    if (p.confidence >= threshold) {
      ++confident;
      confident_correct += p.label == e->label;
    }
  }
  const auto done = std::chrono::steady_clock::now();
  double f1_sum = 0.0;
  std::ostringstream per_label;
  std::printf("%-10s %9s %9s %9s %6s\n", "category", "precision", "recall", "F1", "test");
  for (const std::string& label : labels) {
    const double precision = tp[label] + fp[label] ? 1.0 * tp[label] / (tp[label] + fp[label]) : 0;
    const double recall = tp[label] + fn[label] ? 1.0 * tp[label] / (tp[label] + fn[label]) : 0;
    const double f1 = precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0;
    f1_sum += f1;
    std::printf("%-10s %9.3f %9.3f %9.3f %6d\n", label.c_str(), precision, recall, f1,
                tp[label] + fn[label]);
    per_label << (per_label.tellp() > 0 ? ", " : "") << "\"" << label
              << "\": {\"precision\": " << precision << ", \"recall\": " << recall
              << ", \"f1\": " << f1 << "}";
  }
  const double accuracy = test.empty() ? 0 : 1.0 * correct / static_cast<double>(test.size());
  const double macro_f1 = labels.empty() ? 0 : f1_sum / static_cast<double>(labels.size());
  const double coverage = test.empty() ? 0 : 1.0 * confident / static_cast<double>(test.size());
  const double confident_accuracy = confident ? 1.0 * confident_correct / confident : 0;
  const double train_ms = std::chrono::duration<double, std::milli>(trained_at - start).count();
  const double predict_us =
      test.empty() ? 0
                   : std::chrono::duration<double, std::micro>(done - trained_at).count() /
                         static_cast<double>(test.size());
  std::printf(
      "\nmessages %zu (train %zu, held out %zu), categories %zu, vocabulary %lld n-grams\n"
      "accuracy %.3f, macro-F1 %.3f\n"
      "at confidence >= %.2f: %.1f%% filed unattended, %.3f of those right\n"
      "train %.1f ms in all, predict %.1f us per message (in memory)\n",
      examples.size(), trained, test.size(), labels.size(),
      static_cast<long long>(model.vocabulary), accuracy, macro_f1, threshold, 100 * coverage,
      confident_accuracy, train_ms, predict_us);
  if (!out_path.empty()) {
    std::ofstream out(out_path);
    out << "{\"messages\": " << examples.size() << ", \"train\": " << trained
        << ", \"held_out\": " << test.size() << ", \"accuracy\": " << accuracy
        << ", \"macro_f1\": " << macro_f1 << ", \"threshold\": " << threshold
        << ", \"coverage\": " << coverage << ", \"confident_accuracy\": " << confident_accuracy
        << ", \"per_category\": {" << per_label.str() << "}}\n";
  }
  return 0;
}
