// The learned categoriser's arithmetic: Hangul n-grams, learning and
// unlearning, and predictions that follow the examples.
#include "classifier.h"

#include <algorithm>
#include <string>

#include "gtest/gtest.h"
#include "text_match.h"

namespace rapport::voc {
namespace {

std::vector<std::string> Of(const std::string& text) {
  std::string folded;
  EXPECT_TRUE(FoldText(text, &folded));
  return Features(folded);
}

bool Has(const std::vector<std::string>& features, const std::string& f) {
  return std::find(features.begin(), features.end(), f) != features.end();
}

TEST(ClassifierFeatures, HangulWordsShareTheirStems) {
  const auto a = Of("배송이 늦어요");
  const auto b = Of("배송비 환불");
  EXPECT_TRUE(Has(a, "배송"));
  EXPECT_TRUE(Has(b, "배송"));
  EXPECT_TRUE(Has(a, "\x01배송"));  // a word's start
  EXPECT_FALSE(Has(a, "이 늦"));    // never across words
  // Case and width folded: ＡＳ and as are one word.
  EXPECT_EQ(Of("ＡＳ 접수"), Of("as 접수"));
  // Punctuation separates words.
  EXPECT_EQ(Of("환불!!"), Of("환불"));
  EXPECT_TRUE(Of("  ...  ").empty());
}

TEST(Classifier, PredictsFromExamplesAndForgetsWhatIsUntrained) {
  Model m;
  for (const char* t :
       {"배송이 안 와요", "택배가 늦어요", "배송 조회가 안 돼요", "언제 도착하나요 배송"}) {
    Train(Of(t), "배송", +1, &m);
  }
  for (const char* t :
       {"환불해 주세요", "반품 환불 언제 되나요", "카드 취소 환불", "환불 금액이 달라요"}) {
    Train(Of(t), "반품환불", +1, &m);
  }
  Prediction p = Predict(m, Of("배송이 너무 늦네요"));
  EXPECT_EQ(p.label, "배송");
  EXPECT_GT(p.confidence, 0.5);
  EXPECT_LE(p.confidence, 1.0);
  EXPECT_EQ(Predict(m, Of("환불 언제 돼요")).label, "반품환불");
  // Learning and unlearning an example leaves the model as it was.
  const Model before = m;
  Train(Of("새로운 문장 하나"), "배송", +1, &m);
  Train(Of("새로운 문장 하나"), "배송", -1, &m);
  EXPECT_EQ(m.vocabulary, before.vocabulary);
  EXPECT_EQ(m.counts, before.counts);
  EXPECT_EQ(m.labels.at("배송").documents, before.labels.at("배송").documents);
  EXPECT_EQ(m.labels.at("배송").features, before.labels.at("배송").features);
  // An empty model suggests nothing.
  EXPECT_EQ(Predict(Model(), Of("배송")).label, "");
}

}  // namespace
}  // namespace rapport::voc
