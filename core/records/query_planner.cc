#include "core/records/query_planner.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/common/status_util.h"
#include "core/records/index_entries.h"
#include "core/store/key_codec.h"

namespace rapport::records {
namespace {

using query::CompareOp;

bool IsRange(CompareOp op) {
  return op == CompareOp::kLt || op == CompareOp::kLe || op == CompareOp::kGt ||
         op == CompareOp::kGe;
}

const ResolvedComparison* FindEq(const std::vector<ResolvedComparison>& cs, std::string_view path) {
  for (const auto& c : cs)
    if (c.op == CompareOp::kEq && c.field.path == path) return &c;
  return nullptr;
}

// Narrows [lower, upper) by the range comparisons on one component whose
// bound prefix is `prefix`.
void ApplyRange(const std::vector<ResolvedComparison>& ranges, const std::string prefix,
                std::string* lower, std::string* upper) {
  for (const auto& c : ranges) {
    store::KeyWriter w(prefix);
    EncodeScalar(w, c.value);
    std::string at = w.Release();
    std::string after = store::PrefixSuccessor(at);
    switch (c.op) {
      case CompareOp::kGe:
        if (at > *lower) *lower = at;
        break;
      case CompareOp::kGt:
        if (after > *lower) *lower = after;
        break;
      case CompareOp::kLe:
        if (after < *upper) *upper = after;
        break;
      case CompareOp::kLt:
        if (at < *upper) *upper = at;
        break;
      default:
        break;
    }
  }
}

struct Candidate {
  ScanPlan plan;
  int score = 0;
  // True if an equality binds or a range narrows part of the index key. The
  // score alone does not tell: yielding the requested order adds to it
  // without narrowing anything.
  bool narrows = false;
};

}  // namespace

std::string IndexedFieldList(const ResourceKind& kind, const v1::AttributeSchema& schema) {
  std::vector<std::string> names;
  for (const auto& index : kind.indexes) {
    if (index.kind == IndexSpec::Kind::kFields) {
      if (std::find(names.begin(), names.end(), index.fields[0]) == names.end())
        names.push_back(index.fields[0]);
    } else if (index.kind == IndexSpec::Kind::kMap && index.fields[0] == "external_refs") {
      names.push_back("external_refs.<system>");
    }
  }
  for (const auto& a : schema.attributes())
    if (a.indexed()) names.push_back(absl::StrCat("attributes.", a.name()));
  return absl::StrJoin(names, ", ");
}

absl::StatusOr<ScanPlan> PlanQuery(store::TenantId tenant, const ResourceKind& kind,
                                   const query::Filter& filter, const query::OrderBy& order_by,
                                   const v1::AttributeSchema& schema) {
  std::vector<ResolvedComparison> comparisons;
  for (const auto& c : filter.comparisons) {
    auto field = ResolveField(*kind.descriptor, c.field, &schema);
    if (!field.ok()) return PrefixFields(field.status(), "filter.");
    if (field->chain.back()->is_map() && field->map_key.empty()) {
      return InvalidField(absl::StrCat("filter.", c.field),
                          "name a key, e.g. external_refs.erp or attributes.region");
    }
    auto value = CoerceLiteral(*field, c.value);
    if (!value.ok()) return PrefixFields(value.status(), "filter.");
    comparisons.push_back({*field, c.op, *value});
  }
  if (!order_by.field.empty() && order_by.field != "create_time") {
    auto field = ResolveField(*kind.descriptor, order_by.field, &schema);
    if (!field.ok()) {
      return InvalidField("order_by",
                          absl::StrCat("'", order_by.field, "' is not a field of ", kind.name));
    }
  }

  const bool order_by_time = order_by.field == "create_time";
  std::vector<Candidate> candidates;
  {
    // The entity family itself: every record, in ID (= creation) order.
    Candidate c;
    c.plan.lower = store::EntityPrefix(tenant, kind.code());
    c.plan.upper = store::PrefixSuccessor(c.plan.lower);
    c.plan.bound_prefix_size = c.plan.lower.size();
    c.plan.reverse = order_by_time && order_by.descending;
    c.plan.description = "all records";
    if (order_by.field.empty() || order_by_time) candidates.push_back(c);
  }
  for (const IndexSpec& index : kind.indexes) {
    if (index.kind == IndexSpec::Kind::kSearch) continue;
    Candidate c;
    c.plan.index = &index;
    std::vector<Scalar> bound;
    std::vector<ResolvedComparison> ranges;
    size_t component = 0;
    if (index.kind == IndexSpec::Kind::kMap) {
      // (map key, value): bound by `external_refs.erp = "x"`, or ranged by
      // `attributes.size >= 5`.
      const ResolvedComparison* eq = nullptr;
      for (const auto& cmp : comparisons) {
        if (cmp.field.chain.size() == 1 && cmp.field.chain[0] == index.refs[0].chain[0]) {
          if (cmp.field.leaf == FieldRef::Leaf::kAttribute) {
            bool indexed = false;
            for (const auto& a : schema.attributes())
              if (a.name() == cmp.field.map_key) indexed = a.indexed();
            if (!indexed) continue;
          }
          if (cmp.op == CompareOp::kEq && eq == nullptr) eq = &cmp;
        }
      }
      if (eq != nullptr) {
        bound = {Scalar(eq->field.map_key), eq->value};
        c.score = 25;
        component = 2;
      } else {
        for (const auto& cmp : comparisons) {
          if (cmp.field.chain.size() == 1 && cmp.field.chain[0] == index.refs[0].chain[0] &&
              IsRange(cmp.op) && cmp.field.leaf == FieldRef::Leaf::kAttribute) {
            bool indexed = false;
            for (const auto& a : schema.attributes())
              if (a.name() == cmp.field.map_key) indexed = a.indexed();
            if (!indexed) continue;
            if (bound.empty()) bound = {Scalar(cmp.field.map_key)};
            if (std::get<std::string>(bound[0]) == cmp.field.map_key) ranges.push_back(cmp);
          }
        }
        if (ranges.empty()) continue;
        c.score = 5;
        component = 1;
      }
      if (!order_by.field.empty() && !(order_by_time && component == 2)) continue;
      c.plan.reverse = order_by_time && order_by.descending;
    } else {
      for (; component < index.fields.size(); ++component) {
        const ResolvedComparison* eq = FindEq(comparisons, index.fields[component]);
        if (eq == nullptr) break;
        bound.push_back(eq->value);
        c.score += 10;
      }
      const bool repeated_next =
          component < index.fields.size() && index.refs[component].chain.back()->is_repeated();
      if (component < index.fields.size()) {
        for (const auto& cmp : comparisons) {
          if (cmp.field.path == index.fields[component] && IsRange(cmp.op)) ranges.push_back(cmp);
        }
        if (!ranges.empty()) c.score += 5;
      }
      if (order_by_time) {
        if (component != index.fields.size()) continue;
        c.plan.reverse = order_by.descending;
      } else if (!order_by.field.empty()) {
        if (component >= index.fields.size() || index.fields[component] != order_by.field ||
            repeated_next) {
          continue;
        }
        c.plan.reverse = order_by.descending;
        c.score += 1;  // prefer the index that yields the order
      }
      if (c.score == 0 && order_by.field.empty()) continue;
    }
    c.plan.lower = IndexValuePrefix(tenant, index, bound);
    c.plan.bound_prefix_size = c.plan.lower.size();
    c.plan.upper = store::PrefixSuccessor(c.plan.lower);
    ApplyRange(ranges, c.plan.lower, &c.plan.lower, &c.plan.upper);
    c.plan.open_component = static_cast<int>(component);
    c.plan.open_constraints = ranges;
    c.narrows = !bound.empty() || !ranges.empty();
    c.plan.description = absl::StrCat("index ", index.name, " (", bound.size(), " bound)");
    candidates.push_back(std::move(c));
  }
  if (candidates.empty()) {
    return InvalidField("order_by",
                        absl::StrCat("'", order_by.field, order_by.descending ? " desc" : "",
                                     "' cannot be served with this filter; supported orders: "
                                     "create_time [desc] always, or the next field of an index "
                                     "after its equality filters (indexed fields: ",
                                     IndexedFieldList(kind, schema), ")"));
  }
  Candidate* best = &candidates[0];
  for (auto& c : candidates)
    if (c.score > best->score) best = &c;
  best->plan.comparisons = std::move(comparisons);
  // An index read whole for its order (order_by display_name with a filter
  // on address.locality) examines every record, like the record scan: the
  // same scan limit applies.
  best->plan.unindexed_filter = !best->narrows && !best->plan.comparisons.empty();
  return std::move(best->plan);
}

}  // namespace rapport::records
