// File: bench/suite/payloads.cc
//
// Workload names, key choosers and the deterministic payload generator.
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "bench/suite/bench.h"
#include "core/validation/phone.h"
#include "google/protobuf/util/time_util.h"

namespace rapport::bench {
namespace {

uint64_t SplitMix(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}
uint64_t Hash(uint64_t seed, uint64_t stream, uint64_t i) {
  return SplitMix(SplitMix(seed ^ (stream << 56)) ^ i);
}
uint64_t Fnv64(uint64_t v) {
  uint64_t h = 0xCBF29CE484222325ull;
  for (int i = 0; i < 8; ++i) {
    h ^= v & 0xFF;
    h *= 0x100000001B3ull;
    v >>= 8;
  }
  return h;
}

template <size_t N>
const char* Pick(const char* const (&pool)[N], std::mt19937_64& rng) {
  return pool[rng() % N];
}

// Family names with their approximate share of the population (percent x 10).
struct Family {
  const char* hangul;
  const char* latin;
  int weight;
};
const Family kFamilies[] = {
    {"김", "kim", 215}, {"이", "lee", 147}, {"박", "park", 84}, {"최", "choi", 47},
    {"정", "jung", 43}, {"강", "kang", 24}, {"조", "cho", 21},  {"윤", "yoon", 21},
    {"장", "jang", 20}, {"임", "lim", 17},  {"한", "han", 15},  {"오", "oh", 15},
    {"서", "seo", 14},  {"신", "shin", 14}, {"권", "kwon", 14}, {"황", "hwang", 14},
    {"안", "ahn", 13},  {"송", "song", 13}, {"전", "jeon", 11}, {"홍", "hong", 11},
};
struct Given {
  const char* hangul;
  const char* latin;
};
const Given kGiven[] = {
    {"민준", "minjun"},   {"서준", "seojun"},  {"도윤", "doyun"},    {"예준", "yejun"},
    {"시우", "siwoo"},    {"하준", "hajun"},   {"주원", "juwon"},    {"지호", "jiho"},
    {"지후", "jihu"},     {"준우", "junwoo"},  {"서연", "seoyeon"},  {"서윤", "seoyun"},
    {"지우", "jiwoo"},    {"서현", "seohyun"}, {"민서", "minseo"},   {"하은", "haeun"},
    {"하윤", "hayun"},    {"윤서", "yunseo"},  {"지유", "jiyu"},     {"지민", "jimin"},
    {"채원", "chaewon"},  {"수아", "sua"},     {"지아", "jia"},      {"지윤", "jiyun"},
    {"은서", "eunseo"},   {"다은", "daeun"},   {"예은", "yeeun"},    {"수빈", "subin"},
    {"소윤", "soyun"},    {"예린", "yerin"},   {"민수", "minsu"},    {"영호", "youngho"},
    {"성민", "sungmin"},  {"현우", "hyunwoo"}, {"정훈", "junghoon"}, {"동현", "donghyun"},
    {"상훈", "sanghoon"}, {"영수", "youngsu"}, {"미경", "mikyung"},  {"은정", "eunjung"},
    {"지혜", "jihye"},    {"수진", "sujin"},   {"혜진", "hyejin"},   {"은영", "eunyoung"},
    {"미영", "miyoung"},  {"현주", "hyunju"},  {"경희", "kyunghee"}, {"정희", "junghee"},
    {"영희", "younghee"}, {"재훈", "jaehoon"},
};
const char* const kCompanyHead[] = {"한빛",   "푸른",   "새롬", "대한", "미래", "동방", "우리",
                                    "누리",   "태평양", "한울", "세종", "가온", "다솜", "별빛",
                                    "온누리", "하나",   "청솔", "두리", "마루", "나래"};
const char* const kCompanyHeadLatin[] = {
    "hanbit", "pureun",        "saerom",    "daehan", "mirae", "dongbang", "uri",
    "nuri",   "taepyeongyang", "hanul",     "sejong", "gaon",  "dasom",    "byeolbit",
    "onnuri", "hana",          "cheongsol", "duri",   "maru",  "narae"};
const char* const kCompanyTail[] = {"소프트", "전자",     "물산",   "건설",   "제약", "식품",
                                    "통상",   "시스템즈", "로지스", "바이오", "테크", "에너지"};
const char* const kDomains[] = {"naver.com", "gmail.com",   "daum.net",
                                "kakao.com", "hanmail.net", "example.co.kr"};
struct Region {
  const char* full;
  const char* short_name;
  const char* district;
  const char* road;
};
const Region kRegions[] = {
    {"서울특별시", "서울", "강남구", "테헤란로"},
    {"서울특별시", "서울", "마포구", "월드컵북로"},
    {"서울특별시", "서울", "중구", "세종대로"},
    {"경기도", "경기", "성남시 분당구", "판교역로"},
    {"경기도", "경기", "수원시 영통구", "광교중앙로"},
    {"부산광역시", "부산", "해운대구", "센텀중앙로"},
    {"대구광역시", "대구", "수성구", "달구벌대로"},
    {"인천광역시", "인천", "연수구", "송도과학로"},
    {"광주광역시", "광주", "서구", "상무중앙로"},
    {"대전광역시", "대전", "유성구", "대학로"},
    {"울산광역시", "울산", "남구", "삼산로"},
    {"제주특별자치도", "제주", "제주시", "첨단로"},
};
const char* const kTags[] = {"b2b", "b2c", "vip", "newsletter", "event-2026", "referral"};
const char* const kTopics[] = {"견적 문의", "계약 갱신", "제품 시연", "기술 지원", "결제 조건",
                               "납기 일정", "신규 도입", "유지보수",  "가격 협상", "교육 일정"};
const char* const kSentences[] = {
    "고객이 다음 분기 예산 확정 전에 상세 견적서를 다시 보내 달라고 요청했습니다. ",
    "담당자는 기존 시스템과의 연동 가능 여부를 가장 중요하게 보고 있습니다. ",
    "경쟁사 제안서와 비교 중이며 가격보다는 기술 지원 범위에 관심이 많습니다. ",
    "다음 주 화요일 오후 두 시에 본사 회의실에서 시연을 진행하기로 했습니다. ",
    "계약서 초안의 지체상금 조항에 대해 법무팀 검토 의견을 받기로 했습니다. ",
    "현장 방문 결과 설치 공간과 전원 용량은 문제가 없는 것으로 확인했습니다. ",
    "결제는 분할 지급을 원하며 첫 회 지급 시점을 검수 완료 후로 요청했습니다. ",
    "사용자 교육은 두 차례로 나누어 진행하고 자료는 한국어로 제공하기로 했습니다. ",
    "구매 결정권자는 재무 이사이며 최종 승인은 이번 달 말로 예상됩니다. ",
    "지난 장애 건에 대한 원인 분석 보고서를 전달했고 고객이 내용을 확인했습니다. ",
    "Follow-up: send the revised quotation and the integration guide by Friday. ",
    "추가 라이선스 열 개에 대한 할인율을 내부적으로 검토해 회신하기로 했습니다. ",
};
const char* const kProducts[] = {"ERP 연동",      "CRM 도입",      "보안 솔루션", "클라우드 이전",
                                 "유지보수 갱신", "라이선스 증설", "물류 자동화", "데이터 분석"};

constexpr int64_t kBaseUnixSeconds = 1767225600;  // 2026-01-01T00:00:00Z

bool IsOrganization(uint64_t seed, int64_t i) {
  return Hash(seed, 5, static_cast<uint64_t>(i)) % 100 < 15;
}

const Family& DrawFamily(std::mt19937_64& rng) {
  int total = 0;
  for (const auto& f : kFamilies) total += f.weight;
  int x = static_cast<int>(rng() % static_cast<uint64_t>(total));
  for (const auto& f : kFamilies) {
    if (x < f.weight) return f;
    x -= f.weight;
  }
  return kFamilies[0];
}

std::string Phone(std::mt19937_64& rng) {
  // Not every 010 block is allocated (libphonenumber knows which): draw
  // until valid, as rapport_load does.
  for (;;) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "010-%04d-%04d", static_cast<int>(1000 + rng() % 9000),
                  static_cast<int>(rng() % 10000));
    if (rapport::validation::NormalizePhone(buf, "KR").ok()) return buf;
  }
}

google::protobuf::Timestamp Seconds(int64_t s) {
  google::protobuf::Timestamp t;
  t.set_seconds(s);
  return t;
}

}  // namespace

// ---------------------------------------------------------------------------

const char* WorkloadName(Workload w) {
  switch (w) {
    case Workload::kCreateCustomer:
      return "create_customer";
    case Workload::kGetCustomer:
      return "get_customer";
    case Workload::kLogInteraction:
      return "log_interaction";
    case Workload::kMoveStage:
      return "move_stage";
    case Workload::kListPipeline:
      return "list_pipeline";
    case Workload::kSearch:
      return "search_customers";
    case Workload::kCustomer360:
      return "customer_360";
    case Workload::kImport:
      return "bulk_import";
    case Workload::kCrmDay:
      return "crm_day";
    case Workload::kCount:
      break;
  }
  return "?";
}

const char* WorkloadLabel(Workload w) {
  switch (w) {
    case Workload::kCreateCustomer:
      return "a. create customer";
    case Workload::kGetCustomer:
      return "b. get customer";
    case Workload::kLogInteraction:
      return "c. log interaction";
    case Workload::kMoveStage:
      return "d. move stage (RMW)";
    case Workload::kListPipeline:
      return "e. list pipeline page";
    case Workload::kSearch:
      return "f. search by name";
    case Workload::kCustomer360:
      return "g. customer 360";
    case Workload::kImport:
      return "h. bulk import x1000";
    case Workload::kCrmDay:
      return "i. CRM day (mix)";
    case Workload::kCount:
      break;
  }
  return "?";
}

std::vector<Workload> RunOrder() {
  return {Workload::kGetCustomer,    Workload::kCustomer360, Workload::kSearch,
          Workload::kListPipeline,   Workload::kMoveStage,   Workload::kLogInteraction,
          Workload::kCreateCustomer, Workload::kCrmDay,      Workload::kImport};
}

const char* OpKindName(OpKind k) {
  switch (k) {
    case OpKind::kCreateCustomer:
      return "create_customer";
    case OpKind::kUpdateCustomer:
      return "update_customer";
    case OpKind::kGetCustomer:
      return "get_customer";
    case OpKind::kLogInteraction:
      return "log_interaction";
    case OpKind::kMoveStage:
      return "move_stage";
    case OpKind::kListPipeline:
      return "list_pipeline";
    case OpKind::kPipelineAggregate:
      return "pipeline_aggregate";
    case OpKind::kSearch:
      return "search_customers";
    case OpKind::kCustomer360:
      return "customer_360";
    case OpKind::kImport:
      return "bulk_import";
    case OpKind::kCount:
      break;
  }
  return "?";
}

std::string NextStage(std::string_view current, int step) {
  int at = 0;
  for (int i = 0; i < static_cast<int>(kOpenStages.size()); ++i) {
    if (current == kOpenStages[i]) at = i;
  }
  int n = static_cast<int>(kOpenStages.size());
  int s = 1 + (step - 1) % (n - 1);
  return kOpenStages[(at + s) % n];
}

std::string KoreanMobileToE164(std::string_view national) {
  std::string out = "+82";
  bool leading = true;
  for (char c : national) {
    if (c < '0' || c > '9') continue;
    if (leading && c == '0') {
      leading = false;
      continue;
    }
    leading = false;
    out.push_back(c);
  }
  return out;
}

// ---------------------------------------------------------------------------

Zipfian::Zipfian(uint64_t n, double theta) : n_(std::max<uint64_t>(n, 1)), theta_(theta) {
  double zetan = 0;
  for (uint64_t i = 1; i <= n_; ++i) zetan += 1.0 / std::pow(static_cast<double>(i), theta_);
  double zeta2 = 1.0 + 1.0 / std::pow(2.0, theta_);
  zetan_ = zetan;
  alpha_ = 1.0 / (1.0 - theta_);
  eta_ = (1.0 - std::pow(2.0 / static_cast<double>(n_), 1.0 - theta_)) / (1.0 - zeta2 / zetan_);
}

uint64_t Zipfian::Rank(std::mt19937_64& rng) const {
  double u = std::uniform_real_distribution<double>(0.0, 1.0)(rng);
  double uz = u * zetan_;
  if (uz < 1.0) return 0;
  if (uz < 1.0 + std::pow(0.5, theta_)) return std::min<uint64_t>(1, n_ - 1);
  auto r = static_cast<uint64_t>(static_cast<double>(n_) * std::pow(eta_ * u - eta_ + 1.0, alpha_));
  return std::min(r, n_ - 1);
}

uint64_t Zipfian::Scrambled(std::mt19937_64& rng) const { return Fnv64(Rank(rng)) % n_; }

// ---------------------------------------------------------------------------

Dataset::Dataset(int64_t customers, uint64_t seed) : customers_(customers), seed_(seed) {
  for (int64_t k = 0; k < opportunities(); ++k) {
    std::mt19937_64 rng(Hash(seed_, 3, static_cast<uint64_t>(k)));
    if (rng() % 100 < 70) open_opportunities_.push_back(k);
  }
  for (int t = 0; t < 1024; ++t) {
    customer_templates_.push_back(Customer(customers_ + t));
    v1::Interaction in = Interaction(interactions() + t);
    in.clear_occurred_at();  // defaults to the time it is logged
    interaction_templates_.push_back(std::move(in));
  }
}

const std::vector<std::string>& Dataset::AttributeNames() {
  static const auto* names = new std::vector<std::string>{"region", "seats", "vip"};
  return *names;
}

std::string Dataset::Name(int64_t i) const {
  std::mt19937_64 rng(Hash(seed_, 4, static_cast<uint64_t>(i)));
  if (IsOrganization(seed_, i)) {
    size_t head = rng() % std::size(kCompanyHead);
    std::string name = std::string(kCompanyHead[head]) + Pick(kCompanyTail, rng);
    switch (rng() % 3) {
      case 0:
        return "주식회사 " + name;
      case 1:
        return name + " 주식회사";
      default:
        return name;
    }
  }
  const Family& f = DrawFamily(rng);
  return std::string(f.hangul) + kGiven[rng() % std::size(kGiven)].hangul;
}

std::string Dataset::SearchQuery(int64_t i, uint64_t r) const {
  std::string name = Name(i);
  // Take code points of the first word that is not "주식회사".
  auto words_start = name.rfind("주식회사 ", 0) == 0 ? std::string("주식회사 ").size() : 0;
  std::string word = name.substr(words_start, name.find(' ', words_start) - words_start);
  auto prefix_chars = [&](const std::string& s, size_t from, int count) {
    size_t end = from;
    for (int c = 0; c < count && end < s.size(); ++c) {
      auto b = static_cast<unsigned char>(s[end]);
      end += b < 0x80 ? 1 : (b >> 5) == 6 ? 2 : (b >> 4) == 14 ? 3 : 4;
    }
    return s.substr(from, end - from);
  };
  if (IsOrganization(seed_, i)) return prefix_chars(word, 0, 2);
  // Person: "김민" (family + first syllable) or the given name "민준".
  if (r % 2 == 0) return prefix_chars(word, 0, 2);
  size_t family_bytes = prefix_chars(word, 0, 1).size();
  return word.substr(family_bytes);
}

v1::Customer Dataset::Customer(int64_t i) const {
  std::mt19937_64 rng(Hash(seed_, 1, static_cast<uint64_t>(i)));
  v1::Customer c;
  const bool org = IsOrganization(seed_, i);
  c.set_kind(org ? v1::CUSTOMER_KIND_ORGANIZATION : v1::CUSTOMER_KIND_PERSON);
  c.set_display_name(Name(i));
  const std::string n = std::to_string(i);
  if (org) {
    c.add_emails("contact" + n + "@" + kCompanyHeadLatin[rng() % std::size(kCompanyHeadLatin)] +
                 ".co.kr");
  } else {
    std::mt19937_64 name_rng(Hash(seed_, 4, static_cast<uint64_t>(i)));
    const Family& f = DrawFamily(name_rng);
    const Given& g = kGiven[name_rng() % std::size(kGiven)];
    c.add_emails(std::string(g.latin) + "." + f.latin + n + "@" + Pick(kDomains, rng));
  }
  c.add_phones(Phone(rng));
  static const v1::LifecycleStage kStages[] = {
      v1::LIFECYCLE_STAGE_LEAD,     v1::LIFECYCLE_STAGE_LEAD,     v1::LIFECYCLE_STAGE_PROSPECT,
      v1::LIFECYCLE_STAGE_CUSTOMER, v1::LIFECYCLE_STAGE_CUSTOMER, v1::LIFECYCLE_STAGE_CHURNED};
  c.set_lifecycle_stage(kStages[rng() % std::size(kStages)]);
  char owner[16];
  std::snprintf(owner, sizeof owner, "rep%02d", static_cast<int>(1 + rng() % 50));
  c.set_owner(owner);
  c.add_tags(Pick(kTags, rng));
  if (rng() % 3 == 0) {
    const char* second = Pick(kTags, rng);
    if (second != c.tags(0)) c.add_tags(second);
  }
  const Region& region = kRegions[rng() % std::size(kRegions)];
  auto* a = c.mutable_address();
  a->add_lines(std::string(region.full) + " " + region.district + " " + region.road + " " +
               std::to_string(1 + rng() % 300));
  if (rng() % 2) a->add_lines(std::to_string(2 + rng() % 20) + "층");
  a->set_locality(region.district);
  a->set_region(region.full);
  char postal[8];
  std::snprintf(postal, sizeof postal, "%05d", static_cast<int>(1000 + rng() % 62000));
  a->set_postal_code(postal);
  a->set_country_code("KR");
  (*c.mutable_external_refs())["erp"] = "C" + n;
  auto& attrs = *c.mutable_attributes();
  attrs["region"].set_string_value(region.short_name);
  attrs["seats"].set_int_value(static_cast<int64_t>(1 + rng() % 500));
  attrs["vip"].set_bool_value(rng() % 10 == 0);
  return c;
}

int64_t Dataset::InteractionCustomer(int64_t j) const {
  return static_cast<int64_t>(Hash(seed_, 6, static_cast<uint64_t>(j)) %
                              static_cast<uint64_t>(customers_));
}

v1::Interaction Dataset::Interaction(int64_t j) const {
  std::mt19937_64 rng(Hash(seed_, 2, static_cast<uint64_t>(j)));
  v1::Interaction in;
  static const v1::InteractionKind kKinds[] = {
      v1::INTERACTION_KIND_CALL,    v1::INTERACTION_KIND_CALL,  v1::INTERACTION_KIND_CALL,
      v1::INTERACTION_KIND_EMAIL,   v1::INTERACTION_KIND_EMAIL, v1::INTERACTION_KIND_MEETING,
      v1::INTERACTION_KIND_MEETING, v1::INTERACTION_KIND_NOTE,  v1::INTERACTION_KIND_NOTE,
      v1::INTERACTION_KIND_VISIT};
  v1::InteractionKind kind = kKinds[rng() % std::size(kKinds)];
  in.set_kind(kind);
  if (kind == v1::INTERACTION_KIND_CALL || kind == v1::INTERACTION_KIND_EMAIL) {
    in.set_direction(rng() % 2 ? v1::INTERACTION_DIRECTION_INBOUND
                               : v1::INTERACTION_DIRECTION_OUTBOUND);
  }
  *in.mutable_occurred_at() =
      Seconds(kBaseUnixSeconds - static_cast<int64_t>(rng() % (365 * 86400)));
  if (kind == v1::INTERACTION_KIND_CALL || kind == v1::INTERACTION_KIND_MEETING) {
    in.mutable_duration()->set_seconds(static_cast<int64_t>(60 + rng() % 3540));
  }
  char owner[16];
  std::snprintf(owner, sizeof owner, "rep%02d", static_cast<int>(1 + rng() % 50));
  in.set_owner(owner);
  in.set_subject(std::string(Pick(kTopics, rng)) + " 관련 " +
                 (kind == v1::INTERACTION_KIND_CALL      ? "통화"
                  : kind == v1::INTERACTION_KIND_EMAIL   ? "메일"
                  : kind == v1::INTERACTION_KIND_MEETING ? "미팅"
                  : kind == v1::INTERACTION_KIND_VISIT   ? "방문"
                                                         : "메모"));
  // 200..1000 bytes of body: whole sentences up to a drawn target.
  size_t target = 200 + rng() % 700;
  std::string body;
  while (body.size() < target) body += Pick(kSentences, rng);
  in.set_body(std::move(body));
  if (rng() % 4 == 0) in.add_tags(rng() % 2 ? "follow-up" : "escalation");
  return in;
}

int64_t Dataset::OpportunityCustomer(int64_t k) const {
  return static_cast<int64_t>(Hash(seed_, 7, static_cast<uint64_t>(k)) %
                              static_cast<uint64_t>(customers_));
}

v1::Opportunity Dataset::Opportunity(int64_t k) const {
  std::mt19937_64 rng(Hash(seed_, 3, static_cast<uint64_t>(k)));
  v1::Opportunity o;
  const uint64_t status_draw = rng() % 100;  // first draw: see the constructor
  o.set_pipeline(rng() % 5 == 0 ? "renewal" : kPipeline);
  if (status_draw < 70) {
    o.set_status(v1::OPPORTUNITY_STATUS_OPEN);
    size_t s = rng() % kOpenStages.size();
    o.set_stage(kOpenStages[s]);
    o.set_probability(static_cast<int32_t>(10 + 20 * s));
  } else if (status_draw < 85) {
    o.set_status(v1::OPPORTUNITY_STATUS_WON);
    o.set_stage("closed_won");
    o.set_probability(100);
  } else {
    o.set_status(v1::OPPORTUNITY_STATUS_LOST);
    o.set_stage("closed_lost");
    o.set_close_reason(rng() % 2 ? "가격 경쟁력 부족" : "도입 보류");
  }
  o.set_name(std::string(kCompanyHead[rng() % std::size(kCompanyHead)]) + " " +
             Pick(kProducts, rng) + " 건");
  auto* amount = o.mutable_amount();
  if (rng() % 10 == 0) {
    amount->set_currency_code("USD");
    amount->set_units(static_cast<int64_t>(100000 + rng() % 100000000));
  } else {
    amount->set_currency_code("KRW");
    amount->set_units(static_cast<int64_t>(1 + rng() % 500000) * 10000);
  }
  auto* close = o.mutable_expected_close_date();
  close->set_year(2026 + static_cast<int32_t>(rng() % 2));
  close->set_month(1 + static_cast<int32_t>(rng() % 12));
  close->set_day(1 + static_cast<int32_t>(rng() % 28));
  char owner[16];
  std::snprintf(owner, sizeof owner, "rep%02d", static_cast<int>(1 + rng() % 50));
  o.set_owner(owner);
  if (rng() % 3 == 0) o.add_tags(rng() % 2 ? "strategic" : "upsell");
  return o;
}

void Dataset::FreshCustomer(uint64_t unique, uint64_t r, v1::Customer* out) const {
  *out = customer_templates_[r % customer_templates_.size()];
  const std::string u = std::to_string(unique);
  std::string* email = out->mutable_emails(0);
  email->insert(0, "n" + u + ".");
  (*out->mutable_external_refs())["erp"] = "N" + u;
}

const v1::Interaction& Dataset::InteractionTemplate(uint64_t r) const {
  return interaction_templates_[r % interaction_templates_.size()];
}

// ---------------------------------------------------------------------------

OpGenerator::OpGenerator(Dataset* data, const Zipfian* customer_zipf,
                         const Zipfian* opportunity_zipf, Workload workload, uint64_t seed)
    : data_(data),
      customer_zipf_(customer_zipf),
      opportunity_zipf_(opportunity_zipf),
      workload_(workload),
      rng_(seed) {
  if (workload == Workload::kImport) {
    batch_.resize(kImportBatch);
    for (int i = 0; i < kImportBatch; ++i) data_->FreshCustomer(0, rng_(), &batch_[i]);
  }
}

void OpGenerator::Draw(OpKind kind, bool zipf) {
  op_.kind = kind;
  op_.adds = 0;
  const auto n_customers = static_cast<uint64_t>(data_->customers());
  const auto& open = data_->open_opportunities();
  op_.customer =
      static_cast<int64_t>(zipf ? customer_zipf_->Scrambled(rng_) : rng_() % n_customers);
  if (!open.empty()) {
    op_.opportunity = open[zipf ? opportunity_zipf_->Scrambled(rng_)
                                : rng_() % static_cast<uint64_t>(open.size())];
  }
  switch (kind) {
    case OpKind::kCreateCustomer:
      data_->FreshCustomer(data_->NextUnique(), rng_(), &fresh_);
      op_.fresh_customer = &fresh_;
      op_.adds = 1;
      break;
    case OpKind::kUpdateCustomer: {
      static const v1::LifecycleStage kStages[] = {
          v1::LIFECYCLE_STAGE_LEAD, v1::LIFECYCLE_STAGE_PROSPECT, v1::LIFECYCLE_STAGE_CUSTOMER,
          v1::LIFECYCLE_STAGE_CHURNED};
      op_.lifecycle = kStages[rng_() % 4];
      break;
    }
    case OpKind::kLogInteraction:
      op_.fresh_interaction = &data_->InteractionTemplate(rng_());
      op_.adds = 1;
      break;
    case OpKind::kMoveStage:
      op_.stage_step = 1 + static_cast<int>(rng_() % 3);
      break;
    case OpKind::kSearch:
      op_.query = data_->SearchQuery(op_.customer, rng_());
      break;
    case OpKind::kImport:
      for (auto& c : batch_) {
        const std::string u = std::to_string(data_->NextUnique());
        std::string* email = c.mutable_emails(0);
        email->replace(0, email->find('.') + 1, "n" + u + ".");
        (*c.mutable_external_refs())["erp"] = "N" + u;
      }
      op_.batch = &batch_;
      op_.adds = kImportBatch;
      break;
    default:
      break;
  }
}

const Op& OpGenerator::Next() {
  switch (workload_) {
    case Workload::kCreateCustomer:
      Draw(OpKind::kCreateCustomer, false);
      break;
    case Workload::kGetCustomer:
      Draw(OpKind::kGetCustomer, false);
      break;
    case Workload::kLogInteraction:
      Draw(OpKind::kLogInteraction, false);
      break;
    case Workload::kMoveStage:
      Draw(OpKind::kMoveStage, false);
      break;
    case Workload::kListPipeline:
      Draw(OpKind::kListPipeline, false);
      break;
    case Workload::kSearch:
      Draw(OpKind::kSearch, false);
      break;
    case Workload::kCustomer360:
      Draw(OpKind::kCustomer360, false);
      break;
    case Workload::kImport:
      Draw(OpKind::kImport, false);
      break;
    case Workload::kCrmDay: {
      // log 30, 360 25, search 15, move 10, list 10, create/update 8, aggregate 2.
      const uint64_t u = rng_() % 100;
      OpKind kind = u < 30   ? OpKind::kLogInteraction
                    : u < 55 ? OpKind::kCustomer360
                    : u < 70 ? OpKind::kSearch
                    : u < 80 ? OpKind::kMoveStage
                    : u < 90 ? OpKind::kListPipeline
                    : u < 94 ? OpKind::kCreateCustomer
                    : u < 98 ? OpKind::kUpdateCustomer
                             : OpKind::kPipelineAggregate;
      Draw(kind, true);
      break;
    }
    case Workload::kCount:
      break;
  }
  return op_;
}

// ---------------------------------------------------------------------------

void WireProfile::Add(OpKind kind, int step, size_t reply_bytes) {
  if (step < 0 || step >= kSteps) return;
  Cell& c = cells_[static_cast<int>(kind)][step];
  c.count.fetch_add(1, std::memory_order_relaxed);
  c.bytes.fetch_add(static_cast<int64_t>(reply_bytes), std::memory_order_relaxed);
}

uint32_t WireProfile::ReplyBytes(OpKind kind, int step) const {
  const Cell& c = cells_[static_cast<int>(kind)][step];
  int64_t n = c.count.load();
  return n == 0 ? 0 : static_cast<uint32_t>(c.bytes.load() / n);
}

void WireProfile::Reset() {
  for (auto& row : cells_) {
    for (auto& c : row) {
      c.count = 0;
      c.bytes = 0;
    }
  }
}

}  // namespace rapport::bench
