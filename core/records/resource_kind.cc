#include "core/records/resource_kind.h"

#include "absl/strings/str_cat.h"
#include "core/common/check.h"
#include "core/records/duplicates.h"
#include "core/validation/text.h"
#include "google/protobuf/message.h"
#include "rapport/v1/customer.pb.h"
#include "rapport/v1/interaction.pb.h"
#include "rapport/v1/opportunity.pb.h"
#include "sdk/include/rapport/sdk/plugin_abi.h"

namespace rapport::records {
namespace {

using google::protobuf::Message;

IndexSpec Fields(uint16_t id, std::string name, std::vector<std::string> fields) {
  IndexSpec spec;
  spec.id = id;
  spec.name = std::move(name);
  spec.fields = std::move(fields);
  return spec;
}

IndexSpec Map(uint16_t id, std::string name, std::string field, bool unique) {
  IndexSpec spec = Fields(id, std::move(name), {std::move(field)});
  spec.kind = IndexSpec::Kind::kMap;
  spec.unique = unique;
  return spec;
}

IndexSpec Search(uint16_t id, std::string name, std::string field,
                 std::function<std::vector<Scalar>(const Message&)> derive) {
  IndexSpec spec = Fields(id, std::move(name), {std::move(field)});
  spec.kind = IndexSpec::Kind::kSearch;
  spec.derive = std::move(derive);
  return spec;
}

// Index IDs are stored in keys: never renumber, only add.
std::vector<ResourceKind*> BuildKinds() {
  auto* customer = new ResourceKind{
      ResourceType::kCustomer, "customer", "customers", v1::Customer::descriptor(), {}};
  customer->indexes = {
      Map(0x0101, kExternalRefIndex, "external_refs", /*unique=*/true),
      Map(0x0102, kAttributeIndex, "attributes", false),
      Search(0x0103, kNameSearchIndex, "display_name",
             [](const Message& m) {
               std::vector<Scalar> out;
               for (auto& k : validation::SearchKeysForName(
                        static_cast<const v1::Customer&>(m).display_name()))
                 out.push_back(std::move(k));
               return out;
             }),
      Fields(0x0104, kEmailIndex, {"emails"}),
      Fields(0x0105, kPhoneIndex, {"phones"}),
      Fields(0x0106, "owner", {"owner"}),
      Fields(0x0107, "lifecycle_stage", {"lifecycle_stage"}),
      Fields(0x0108, "organization", {"organization_id"}),
      Fields(0x0109, "tags", {"tags"}),
      Fields(0x010A, "display_name", {"display_name"}),
      Fields(0x010B, "kind", {"kind"}),
      Search(0x010C, kOrganizationMatchIndex, "display_name",
             [](const Message& m) {
               const auto& c = static_cast<const v1::Customer&>(m);
               std::vector<Scalar> out;
               if (c.kind() != v1::CUSTOMER_KIND_ORGANIZATION) return out;
               std::string key = OrganizationMatchKey(c.display_name());
               if (!key.empty()) out.push_back(std::move(key));
               return out;
             }),
  };
  auto* interaction = new ResourceKind{
      ResourceType::kInteraction, "interaction", "interactions", v1::Interaction::descriptor(), {}};
  interaction->indexes = {
      Map(0x0201, kExternalRefIndex, "external_refs", true),
      Map(0x0202, kAttributeIndex, "attributes", false),
      Fields(0x0203, "customer_timeline", {"customer_id", "occurred_at"}),
      Fields(0x0204, "owner_timeline", {"owner", "occurred_at"}),
      Fields(0x0205, "opportunity_timeline", {"opportunity_id", "occurred_at"}),
      Fields(0x0206, "kind_timeline", {"kind", "occurred_at"}),
      Fields(0x0207, "tags", {"tags"}),
      Fields(0x0208, "owner", {"owner"}),
  };
  auto* opportunity = new ResourceKind{ResourceType::kOpportunity,
                                       "opportunity",
                                       "opportunities",
                                       v1::Opportunity::descriptor(),
                                       {}};
  opportunity->indexes = {
      Map(0x0301, kExternalRefIndex, "external_refs", true),
      Map(0x0302, kAttributeIndex, "attributes", false),
      Fields(0x0303, "customer_status", {"customer_id", "status"}),
      Fields(0x0304, "owner_status", {"owner", "status"}),
      Fields(0x0305, "pipeline_stage_amount",
             {"pipeline", "stage", "amount.currency_code", "amount.units"}),
      Fields(0x0306, "status_close_date", {"status", "expected_close_date"}),
      Fields(0x0307, "tags", {"tags"}),
      Fields(0x0308, "owner", {"owner"}),
  };
  std::vector<ResourceKind*> kinds = {customer, interaction, opportunity};
  for (ResourceKind* kind : kinds) {
    for (IndexSpec& index : kind->indexes) {
      for (const std::string& field : index.fields) {
        auto ref = ResolveField(*kind->descriptor, field, nullptr);
        RAPPORT_CHECK(ref.ok(), absl::StrCat(kind->name, " index ", index.name, ": ",
                                             ref.status().ToString()));
        index.refs.push_back(*ref);
      }
    }
  }
  return kinds;
}

const std::vector<ResourceKind*>& Kinds() {
  static const auto* kinds = new std::vector<ResourceKind*>(BuildKinds());
  return *kinds;
}

}  // namespace

std::unique_ptr<Message> ResourceKind::NewRecord() const {
  return std::unique_ptr<Message>(
      google::protobuf::MessageFactory::generated_factory()->GetPrototype(descriptor)->New());
}

const IndexSpec* ResourceKind::FindIndex(std::string_view index_name) const {
  for (const auto& index : indexes)
    if (index.name == index_name) return &index;
  return nullptr;
}

const ResourceKind& KindOf(ResourceType type) {
  for (const ResourceKind* kind : Kinds())
    if (kind->type == type) return *kind;
  RAPPORT_CHECK(false, absl::StrCat("unknown resource type ", static_cast<int>(type)));
  return *Kinds()[0];
}

const ResourceKind* KindForDescriptor(const google::protobuf::Descriptor* descriptor) {
  for (const ResourceKind* kind : Kinds())
    if (kind->descriptor == descriptor) return kind;
  return nullptr;
}

const std::vector<const ResourceKind*>& AllKinds() {
  static const auto* all = new std::vector<const ResourceKind*>(Kinds().begin(), Kinds().end());
  return *all;
}

// The three resource enums are one set of numbers: the stored type byte,
// the plugin ABI's and the API's.
static_assert(static_cast<int>(ResourceType::kCustomer) == RAPPORT_RESOURCE_CUSTOMER &&
              static_cast<int>(ResourceType::kCustomer) == v1::RESOURCE_TYPE_CUSTOMER);
static_assert(static_cast<int>(ResourceType::kInteraction) == RAPPORT_RESOURCE_INTERACTION &&
              static_cast<int>(ResourceType::kInteraction) == v1::RESOURCE_TYPE_INTERACTION);
static_assert(static_cast<int>(ResourceType::kOpportunity) == RAPPORT_RESOURCE_OPPORTUNITY &&
              static_cast<int>(ResourceType::kOpportunity) == v1::RESOURCE_TYPE_OPPORTUNITY);
// No resource type byte may equal the counters family's feed-count tag.
static_assert(static_cast<uint8_t>(ResourceType::kCustomer) != store::kFeedCountTag &&
              static_cast<uint8_t>(ResourceType::kInteraction) != store::kFeedCountTag &&
              static_cast<uint8_t>(ResourceType::kOpportunity) != store::kFeedCountTag);

ResourceType FromProto(v1::ResourceType type) { return static_cast<ResourceType>(type); }
v1::ResourceType ToProto(ResourceType type) { return static_cast<v1::ResourceType>(type); }

}  // namespace rapport::records
