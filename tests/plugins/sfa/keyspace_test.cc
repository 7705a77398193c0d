// The SFA keyspace (keyspace.h) is on disk: each builder spells exactly the
// layout documented there (the strings the plugin wrote before the builders
// existed), and no two prefixes can collide.
#include "keyspace.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace rapport::sfa::keys {
namespace {

TEST(KeyspaceTest, BuildersSpellTheDocumentedLayout) {
  EXPECT_EQ(Pipeline("sales"), "pl/sales");
  EXPECT_EQ(PipelineVersion("sales", 7), "plv/sales/0000000007");
  EXPECT_EQ(StageChange("opp1", 3, 99), "hist/opp1/000000000003");
  EXPECT_EQ(StageChange("opp1", 0, 1793577600000000), "hist/opp1/00001793577600000000");
  EXPECT_EQ(StageHistoryPrefix("opp1"), "hist/opp1/");
  EXPECT_EQ(StageEntered("opp1"), "se/opp1");
  EXPECT_EQ(OpportunityState("opp1"), "os/opp1");
  EXPECT_EQ(Forecast("2026-11", "minsu", "KRW", "sales", "proposal", "o"),
            "fc/2026-11/minsu/KRW/sales/proposal/o");
  EXPECT_EQ(ForecastMonthPrefix("2026-11"), "fc/2026-11/");
  EXPECT_EQ(FunnelNow("sales", "proposal", "KRW"), "fn/sales/proposal/KRW");
  EXPECT_EQ(FunnelStage(kFunnelEntered, "sales", "proposal"), "fe/sales/proposal");
  EXPECT_EQ(FunnelStage(kFunnelAdvanced, "sales", "proposal"), "fa/sales/proposal");
  EXPECT_EQ(FunnelStage(kFunnelStays, "sales", "proposal"), "ft/sales/proposal");
  EXPECT_EQ(FunnelPrefix(kFunnelNow, "sales"), "fn/sales/");
  EXPECT_EQ(Activity("sales", 42, "opp1"), "act/sales/00000000000000000042/opp1");
  EXPECT_EQ(ActivityPrefix("sales"), "act/sales/");
  EXPECT_EQ(Task("T1"), "task/T1");
  EXPECT_EQ(AssigneeTasksPrefix("minsu") + "T1", "tasg/minsu/T1");
  EXPECT_EQ(AssigneeOpenTask("minsu", 5, "T1"), "topn/minsu/00000000000000000005/T1");
  EXPECT_EQ(OpportunityTasksPrefix("opp1") + "T1", "topp/opp1/T1");
  EXPECT_EQ(OpportunityOpenTask("opp1", 5, "T1"), "tonx/opp1/00000000000000000005/T1");
  EXPECT_EQ(CustomerTasksPrefix("c1") + "T1", "tcus/c1/T1");
  EXPECT_EQ(Team("opp1"), "team/opp1");
  EXPECT_EQ(Snapshot("S1"), "snap/S1");
  EXPECT_EQ(PriceBookEntry("LIC-STD"), "pb/LIC-STD");
  EXPECT_EQ(LineItems("opp1"), "li/opp1");
  EXPECT_EQ(OfOpportunity("opp1"),
            (std::vector<std::string>{"os/opp1", "se/opp1", "team/opp1", "li/opp1"}));
}

TEST(KeyspaceTest, NoPrefixIsAPrefixOfAnother) {
  // The first segment of every key kind, from the builders.
  const std::vector<std::string> kinds = {
      Pipeline(""),
      PipelineVersion("", 0).substr(0, 4),
      StageHistoryPrefix("").substr(0, 5),
      StageEntered(""),
      OpportunityState(""),
      ForecastMonthPrefix("").substr(0, 3),
      kFunnelNow,
      kFunnelEntered,
      kFunnelAdvanced,
      kFunnelStays,
      ActivityPrefix("").substr(0, 4),
      Task(""),
      AssigneeTasksPrefix("").substr(0, 5),
      AssigneeOpenTasksPrefix("").substr(0, 5),
      OpportunityTasksPrefix("").substr(0, 5),
      OpportunityOpenTasksPrefix("").substr(0, 5),
      CustomerTasksPrefix("").substr(0, 5),
      Team(""),
      Snapshot(""),
      PriceBookEntry(""),
      LineItems(""),
  };
  for (const auto& kind : kinds) {
    ASSERT_FALSE(kind.empty());
    EXPECT_EQ(kind.back(), '/') << kind;
    EXPECT_EQ(kind.find('/'), kind.size() - 1) << kind;
  }
  for (size_t i = 0; i < kinds.size(); ++i) {
    for (size_t j = 0; j < kinds.size(); ++j) {
      if (i != j) EXPECT_NE(kinds[j].rfind(kinds[i], 0), 0u) << kinds[i] << " ~ " << kinds[j];
    }
  }
}

}  // namespace
}  // namespace rapport::sfa::keys
