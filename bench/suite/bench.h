// File: bench/suite/bench.h
//
// The benchmark suite's shared vocabulary: workloads and the operations they
// issue, the deterministic payload generator (the same customers,
// interactions and opportunities for every system), the key choosers
// (uniform and scrambled zipfian), and the interfaces each system under test
// implements (System: start, load, measure; Client: one connection that runs
// operations). See docs/performance.md for the method.
#ifndef RAPPORT_BENCH_SUITE_BENCH_H_
#define RAPPORT_BENCH_SUITE_BENCH_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "rapport/v1/customer.pb.h"
#include "rapport/v1/interaction.pb.h"
#include "rapport/v1/opportunity.pb.h"
#include "services/server/grpc_threads.h"

namespace rapport::bench {

namespace v1 = ::rapport::v1;

// ---------------------------------------------------------------------------
// Workloads and operations

enum class Workload : int {
  kCreateCustomer = 0,  // a
  kGetCustomer,         // b
  kLogInteraction,      // c
  kMoveStage,           // d
  kListPipeline,        // e
  kSearch,              // f
  kCustomer360,         // g
  kImport,              // h
  kCrmDay,              // i
  kCount
};
inline constexpr int kWorkloadCount = static_cast<int>(Workload::kCount);

// "get_customer" (JSON and --workloads) and "b. get customer" (tables).
const char* WorkloadName(Workload w);
const char* WorkloadLabel(Workload w);
// The order the suite runs them in: reads before the writes that grow the
// data set, the mix after that, bulk import (which adds the most) last.
std::vector<Workload> RunOrder();

// One logical operation of a workload, as the generator draws it. Each
// system turns it into its own calls (RPCs, SQL statements, RocksDB reads and
// writes).
enum class OpKind : int {
  kCreateCustomer = 0,
  kUpdateCustomer,
  kGetCustomer,
  kLogInteraction,
  kMoveStage,
  kListPipeline,
  kPipelineAggregate,
  kSearch,
  kCustomer360,
  kImport,
  kCount
};
inline constexpr int kOpKindCount = static_cast<int>(OpKind::kCount);
const char* OpKindName(OpKind k);

struct Op {
  OpKind kind = OpKind::kGetCustomer;
  int64_t customer = 0;     // index of a loaded customer
  int64_t opportunity = 0;  // index of a loaded (open) opportunity
  int stage_step = 1;       // move to the open stage this many places on
  v1::LifecycleStage lifecycle = v1::LIFECYCLE_STAGE_PROSPECT;
  std::string query;                                   // search prefix
  const v1::Customer* fresh_customer = nullptr;        // create
  const v1::Interaction* fresh_interaction = nullptr;  // log (customer_id unset)
  const std::vector<v1::Customer>* batch = nullptr;    // import
  // Records this operation adds (create 1, log 1, import 1000).
  int64_t adds = 0;
};

// The list-pipeline filter of the issue, and the stages opportunities move
// through.
inline constexpr const char* kPipeline = "default";
inline constexpr const char* kListStage = "proposal";
inline constexpr const char* kListCurrency = "KRW";
inline constexpr std::array<const char*, 4> kOpenStages = {"qualification", "proposal",
                                                           "negotiation", "contracting"};
// The stage `step` places after `current` among the open stages (never the
// same one).
std::string NextStage(std::string_view current, int step);
inline constexpr int kImportBatch = 1000;
inline constexpr int kPipelinePageSize = 50;
inline constexpr int kSearchPageSize = 20;
inline constexpr int kTimelinePageSize = 20;

// ---------------------------------------------------------------------------
// Key choice

// YCSB's zipfian generator (Gray et al., "Quickly generating billion-record
// synthetic databases"), theta 0.99; Scrambled() spreads the hot ranks over
// the key space with a hash, as YCSB's ScrambledZipfian does, so that the
// hottest customers are not simply the first ones loaded.
class Zipfian {
 public:
  explicit Zipfian(uint64_t n, double theta = 0.99);
  uint64_t Rank(std::mt19937_64& rng) const;
  uint64_t Scrambled(std::mt19937_64& rng) const;
  uint64_t n() const { return n_; }

 private:
  uint64_t n_;
  double theta_, alpha_, zetan_, eta_;
};

// ---------------------------------------------------------------------------
// Payloads

// Deterministic data: record i is the same for every system and every run
// with the same seed. Korean names (85% people, 15% companies), e-mails,
// +82 mobile numbers that libphonenumber accepts, addresses, three custom
// attributes, and interaction bodies of 200..1000 bytes.
class Dataset {
 public:
  Dataset(int64_t customers, uint64_t seed);

  int64_t customers() const { return customers_; }
  int64_t interactions() const { return customers_ * 10; }
  int64_t opportunities() const { return customers_ / 5; }

  // Customer i as a client would send it (no id; phone in national format,
  // external_refs {"erp": "C<i>"}).
  v1::Customer Customer(int64_t i) const;
  // Interaction j; its customer is InteractionCustomer(j) (customer_id
  // unset: each system fills in its own ID).
  v1::Interaction Interaction(int64_t j) const;
  int64_t InteractionCustomer(int64_t j) const;
  // Opportunity k (customer_id unset); 70% open, in one of kOpenStages.
  v1::Opportunity Opportunity(int64_t k) const;
  int64_t OpportunityCustomer(int64_t k) const;
  const std::vector<int64_t>& open_opportunities() const { return open_opportunities_; }

  // The name of customer i (cheap; Customer(i).display_name()).
  std::string Name(int64_t i) const;
  // A search box query that finds customer i: the first two syllables of the
  // name, or the given name alone (a word-start infix), or a company word.
  std::string SearchQuery(int64_t i, uint64_t r) const;

  // A fresh customer or interaction for the write workloads: a template from
  // a pool, made unique (e-mail, external ref) by `unique`.
  void FreshCustomer(uint64_t unique, uint64_t r, v1::Customer* out) const;
  const v1::Interaction& InteractionTemplate(uint64_t r) const;
  uint64_t NextUnique() { return unique_.fetch_add(1) + 1; }

  // The custom attributes the payloads use (defined on each system first).
  static const std::vector<std::string>& AttributeNames();

 private:
  int64_t customers_;
  uint64_t seed_;
  std::vector<int64_t> open_opportunities_;
  std::vector<v1::Customer> customer_templates_;
  std::vector<v1::Interaction> interaction_templates_;
  std::atomic<uint64_t> unique_{0};
};

// "010-1234-5678" -> "+821012345678": what NormalizePhone gives for the
// generated numbers (only valid ones are generated), without the cost.
std::string KoreanMobileToE164(std::string_view national);

// Draws the operations of one workload for one client thread. Deterministic
// for a seed, so every system sees the same sequence of keys and payloads.
class OpGenerator {
 public:
  OpGenerator(Dataset* data, const Zipfian* customer_zipf, const Zipfian* opportunity_zipf,
              Workload workload, uint64_t seed);
  const Op& Next();

 private:
  void Draw(OpKind kind, bool zipf);
  Dataset* data_;
  const Zipfian* customer_zipf_;
  const Zipfian* opportunity_zipf_;
  Workload workload_;
  std::mt19937_64 rng_;
  Op op_;
  v1::Customer fresh_;
  std::vector<v1::Customer> batch_;
};

// ---------------------------------------------------------------------------
// Systems under test

// What rapportd answered, per operation kind and call step, so that the echo
// baseline (B0) can send replies of the same size.
class WireProfile {
 public:
  static constexpr int kSteps = 4;
  void Add(OpKind kind, int step, size_t reply_bytes);
  // Mean reply size, or 0 if never recorded.
  uint32_t ReplyBytes(OpKind kind, int step) const;
  void Reset();

 private:
  struct Cell {
    std::atomic<int64_t> count{0}, bytes{0};
  };
  std::array<std::array<Cell, kSteps>, kOpKindCount> cells_;
};

// One connection (gRPC stub, libpq connection, or a handle on the in-process
// database), used by one thread.
class Client {
 public:
  virtual ~Client() = default;
  // Runs one operation. A read-modify-write that loses a race retries and
  // counts a conflict.
  virtual absl::Status Run(const Op& op) = 0;
  int64_t conflicts() const { return conflicts_; }

 protected:
  int64_t conflicts_ = 0;
};

struct LoadReport {
  double seconds = 0;
  int64_t records = 0;
  std::vector<std::pair<std::string, double>> phases;  // name -> seconds
};

struct DiskUsage {
  int64_t total = 0;  // bytes of every file in the data directory
  int64_t wal = 0;    // of which write-ahead log
};

class System {
 public:
  virtual ~System() = default;
  // "rapport", "b0_echo", "b1_rocksdb", "b2_postgres".
  virtual std::string name() const = 0;
  virtual std::string description() const = 0;
  virtual absl::Status Start() = 0;
  virtual absl::Status Load(const Dataset& data, int threads, LoadReport* report) = 0;
  virtual absl::StatusOr<std::unique_ptr<Client>> NewClient() = 0;
  // Cumulative CPU seconds of the system's side of the work.
  virtual double CpuSeconds() = 0;
  virtual std::string cpu_method() const = 0;
  // Peak memory since ResetPeakMemory(); SampleMemory() is called every
  // 100 ms during runs for systems without a kernel high-water mark.
  virtual void ResetPeakMemory() = 0;
  virtual void SampleMemory() {}
  virtual int64_t PeakMemoryBytes() = 0;
  virtual std::string memory_method() const = 0;
  // Stops the system cleanly (flushing what it buffers) so that Disk()
  // measures what it keeps.
  virtual void Stop() = 0;
  virtual DiskUsage Disk() = 0;
  // Records the system holds (loaded plus added by the runs).
  std::atomic<int64_t> records{0};
};

struct SystemConfig {
  std::string work_dir;  // each system makes its own subdirectory
  std::string self_exe;  // this binary, to start the echo server process
  std::string rapportd;  // the rapportd binary
  bool sync = false;
  int block_cache_mib = 128;
  int max_message_bytes = 4 << 20;
  // rapportd --grpc-max-pollers, and the same for the echo server (B0).
  int grpc_max_pollers = services::GrpcThreadOptions().max_pollers;
  std::string pg_bin;
  WireProfile* wire = nullptr;
};

std::unique_ptr<System> NewRapportSystem(const SystemConfig& config);
std::unique_ptr<System> NewEchoSystem(const SystemConfig& config);
std::unique_ptr<System> NewRocksDbSystem(const SystemConfig& config);

// B2 (bench/suite/system_postgres.cc), and the database B3 serves: what B3
// needs of it besides being a System.
class PostgresDatabase : public System {
 public:
  // The IDs the load gave the dataset's customers and opportunities.
  virtual const std::string& customer_id(int64_t i) const = 0;
  virtual const std::string& opportunity_id(int64_t k) const = 0;
  // libpq's connection string for the running server.
  virtual std::string conninfo() const = 0;
};
// Returns a reason instead of a system if PostgreSQL cannot run here.
// `work_subdir`: its directory under config.work_dir.
absl::StatusOr<std::unique_ptr<PostgresDatabase>> NewPostgresSystem(
    const SystemConfig& config, const std::string& work_subdir = "postgres");
std::string PostgresVersion(const std::string& pg_bin);
// B3 (bench/suite/system_b3.cc): a gRPC service of its own on PostgreSQL.
absl::StatusOr<std::unique_ptr<System>> NewB3System(const SystemConfig& config);

// The echo server process (`rapport_bench --serve-echo`): serves until stdin
// closes. Returns the exit code.
int ServeEcho(int max_message_bytes, int grpc_max_pollers);
// B3's server process (`rapport_bench --serve-b3 CONNINFO`,
// bench/suite/b3_server.cc): serves until stdin closes.
int ServeB3(const std::string& conninfo, int max_message_bytes, int grpc_max_pollers);

}  // namespace rapport::bench

#endif  // RAPPORT_BENCH_SUITE_BENCH_H_
