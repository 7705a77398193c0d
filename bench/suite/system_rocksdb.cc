// File: bench/suite/system_rocksdb.cc
//
// Baseline B1: RocksDB in the benchmark process, no RPC, no validation, no
// access control: the floor of Rapport's storage design. It opens RocksDB
// with rapportd's options (core/store/database.cc: same column families,
// block cache, bloom filters, no compression, WAL, sync per --sync) and
// writes what a Rapport mutation writes, one WriteBatch per operation: the
// record (the same serialized proto), one key per index entry (the same
// index table and key codec), a change-feed event with before/after images,
// and a counter merge. Reads use the same index scans followed by record
// reads. A read-modify-write re-checks the revision under one commit mutex,
// as Rapport's commit does.
#include <chrono>
#include <filesystem>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "bench/suite/bench.h"
#include "bench/suite/parallel.h"
#include "bench/suite/process.h"
#include "core/ids/ulid.h"
#include "core/store/key_codec.h"
#include "core/store/keyspace.h"
#include "core/validation/text.h"
#include "google/protobuf/any.pb.h"
#include "google/protobuf/util/time_util.h"
#include "rapport/v1/event.pb.h"
#include "rocksdb/cache.h"
#include "rocksdb/db.h"
#include "rocksdb/filter_policy.h"
#include "rocksdb/merge_operator.h"
#include "rocksdb/table.h"
#include "rocksdb/write_batch.h"
#include "rocksdb/write_buffer_manager.h"

namespace rapport::bench {
namespace {

using store::KeyWriter;
constexpr uint32_t kTenant = 1;
constexpr uint8_t kCustomerType = 1, kInteractionType = 2, kOpportunityType = 3;

class AddOperator : public rocksdb::AssociativeMergeOperator {
 public:
  bool Merge(const rocksdb::Slice&, const rocksdb::Slice* existing, const rocksdb::Slice& value,
             std::string* new_value, rocksdb::Logger*) const override {
    int64_t a = 0, b = 0;
    if (existing && existing->size() == 8) std::memcpy(&a, existing->data(), 8);
    if (value.size() == 8) std::memcpy(&b, value.data(), 8);
    a += b;
    new_value->assign(reinterpret_cast<const char*>(&a), 8);
    return true;
  }
  const char* Name() const override { return "rapport.bench.add"; }
};

std::string One() {
  int64_t one = 1;
  return std::string(reinterpret_cast<const char*>(&one), 8);
}

int64_t Micros(const google::protobuf::Timestamp& t) {
  return t.seconds() * 1000000 + t.nanos() / 1000;
}

// The prefix of an index key: tenant, index id, then the bound components.
KeyWriter IndexKey(uint16_t index) { return KeyWriter(store::IndexPrefix(kTenant, index)); }
std::string StringPrefix(uint16_t index, std::string_view prefix) {
  // KeyWriter::String ends with a terminator; a prefix match leaves it off.
  std::string key = IndexKey(index).String(prefix).Release();
  key.resize(key.size() - 2);
  return key;
}

std::vector<std::string> CustomerIndexKeys(const v1::Customer& c, std::string_view id16) {
  std::vector<std::string> keys;
  auto add = [&](KeyWriter k) { keys.push_back(k.Bytes16(id16).Release()); };
  for (const auto& [system, ref] : c.external_refs())
    add(IndexKey(0x0101).String(system).String(ref));
  auto region = c.attributes().find("region");
  if (region != c.attributes().end()) {
    add(IndexKey(0x0102).String("region").String(region->second.string_value()));
  }
  for (const auto& k : validation::SearchKeysForName(c.display_name()))
    add(IndexKey(0x0103).String(k));
  for (const auto& e : c.emails()) add(IndexKey(0x0104).String(e));
  for (const auto& p : c.phones()) add(IndexKey(0x0105).String(p));
  add(IndexKey(0x0106).String(c.owner()));
  add(IndexKey(0x0107).I64(c.lifecycle_stage()));
  add(IndexKey(0x0108).String(c.organization_id()));
  for (const auto& t : c.tags()) add(IndexKey(0x0109).String(t));
  add(IndexKey(0x010A).String(c.display_name()));
  add(IndexKey(0x010B).I64(c.kind()));
  return keys;
}

std::vector<std::string> InteractionIndexKeys(const v1::Interaction& in, std::string_view id16) {
  std::vector<std::string> keys;
  const int64_t at = Micros(in.occurred_at());
  auto add = [&](KeyWriter k) { keys.push_back(k.Bytes16(id16).Release()); };
  add(IndexKey(0x0203).String(in.customer_id()).I64(at));
  add(IndexKey(0x0204).String(in.owner()).I64(at));
  add(IndexKey(0x0205).String(in.opportunity_id()).I64(at));
  add(IndexKey(0x0206).I64(in.kind()).I64(at));
  for (const auto& t : in.tags()) add(IndexKey(0x0207).String(t));
  add(IndexKey(0x0208).String(in.owner()));
  return keys;
}

std::string PipelineKey(const v1::Opportunity& o, std::string_view id16) {
  return IndexKey(0x0305)
      .String(o.pipeline())
      .String(o.stage())
      .String(o.amount().currency_code())
      .I64(o.amount().units())
      .Bytes16(id16)
      .Release();
}

std::vector<std::string> OpportunityIndexKeys(const v1::Opportunity& o, std::string_view id16) {
  std::vector<std::string> keys;
  auto add = [&](KeyWriter k) { keys.push_back(k.Bytes16(id16).Release()); };
  add(IndexKey(0x0303).String(o.customer_id()).I64(o.status()));
  add(IndexKey(0x0304).String(o.owner()).I64(o.status()));
  keys.push_back(PipelineKey(o, id16));
  const auto& d = o.expected_close_date();
  add(IndexKey(0x0306).I64(o.status()).I64(d.year() * 10000 + d.month() * 100 + d.day()));
  for (const auto& t : o.tags()) add(IndexKey(0x0307).String(t));
  add(IndexKey(0x0308).String(o.owner()));
  return keys;
}

class RocksDbSystem;

class RocksDbClient : public Client {
 public:
  explicit RocksDbClient(RocksDbSystem* system) : system_(system) {}
  absl::Status Run(const Op& op) override;

 private:
  RocksDbSystem* system_;
};

class RocksDbSystem : public System {
 public:
  explicit RocksDbSystem(const SystemConfig& config) : config_(config) {
    path_ = config.work_dir + "/rocksdb";
  }
  std::string name() const override { return "b1_rocksdb"; }
  std::string description() const override {
    return absl::StrCat("RocksDB in-process with rapportd's options and write pattern, ",
                        config_.sync ? "sync WAL" : "WAL without fsync");
  }

  absl::Status Start() override {
    rocksdb::Options options;
    options.create_if_missing = true;
    options.create_missing_column_families = true;
    options.IncreaseParallelism(2);
    options.max_open_files = 512;
    options.keep_log_file_num = 4;
    rocksdb::BlockBasedTableOptions table;
    cache_ = rocksdb::NewLRUCache(static_cast<size_t>(config_.block_cache_mib) << 20);
    table.block_cache = cache_;
    // As core/store/database.cc: one 64 MiB memtable budget for all families,
    // counted inside the block cache, and 3 write buffers per family.
    options.write_buffer_manager = std::make_shared<rocksdb::WriteBufferManager>(64 << 20, cache_);
    table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
    table.cache_index_and_filter_blocks = true;
    table.pin_l0_filter_and_index_blocks_in_cache = true;
    rocksdb::ColumnFamilyOptions cf;
    cf.OptimizeLevelStyleCompaction(64 << 20);
    cf.max_write_buffer_number = 3;
    cf.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
    cf.compression = rocksdb::kNoCompression;
    rocksdb::ColumnFamilyOptions counters = cf;
    counters.merge_operator = std::make_shared<AddOperator>();
    std::vector<rocksdb::ColumnFamilyDescriptor> families = {
        {rocksdb::kDefaultColumnFamilyName, cf},
        {store::kMetaFamily, cf},
        {store::kEntityFamily, cf},
        {store::kIndexFamily, cf},
        {store::kFeedFamily, cf},
        {store::kCountersFamily, counters}};
    rocksdb::DB* raw = nullptr;
    auto s = rocksdb::DB::Open(rocksdb::DBOptions(options), path_, families, &handles_, &raw);
    if (!s.ok()) return absl::UnavailableError("rocksdb: " + s.ToString());
    db_.reset(raw);
    write_.sync = config_.sync;
    return absl::OkStatus();
  }

  absl::Status Load(const Dataset& data, int threads, LoadReport* report) override {
    auto t0 = std::chrono::steady_clock::now();
    auto phase_start = t0;
    auto phase = [&](const char* name) {
      auto now = std::chrono::steady_clock::now();
      report->phases.emplace_back(name, std::chrono::duration<double>(now - phase_start).count());
      phase_start = now;
    };
    customer_ids_.assign(static_cast<size_t>(data.customers()), "");
    opportunity_ids_.assign(static_cast<size_t>(data.opportunities()), "");
    auto s = ParallelChunks(data.customers(), kImportBatch, threads, [&](int64_t b, int64_t e) {
      rocksdb::WriteBatch batch;
      for (int64_t i = b; i < e; ++i) {
        v1::Customer c = data.Customer(i);
        customer_ids_[static_cast<size_t>(i)] = AddCustomer(&c, &batch);
      }
      return Write(&batch);
    });
    if (!s.ok()) return s;
    phase("customers");
    s = ParallelChunks(data.interactions(), kImportBatch, threads, [&](int64_t b, int64_t e) {
      rocksdb::WriteBatch batch;
      for (int64_t j = b; j < e; ++j) {
        v1::Interaction in = data.Interaction(j);
        in.set_customer_id(customer_ids_[static_cast<size_t>(data.InteractionCustomer(j))]);
        AddInteraction(&in, &batch);
      }
      return Write(&batch);
    });
    if (!s.ok()) return s;
    phase("interactions");
    s = ParallelChunks(data.opportunities(), kImportBatch, threads, [&](int64_t b, int64_t e) {
      rocksdb::WriteBatch batch;
      for (int64_t k = b; k < e; ++k) {
        v1::Opportunity o = data.Opportunity(k);
        o.set_customer_id(customer_ids_[static_cast<size_t>(data.OpportunityCustomer(k))]);
        opportunity_ids_[static_cast<size_t>(k)] = AddOpportunity(&o, &batch);
      }
      return Write(&batch);
    });
    if (!s.ok()) return s;
    phase("opportunities");
    report->records = data.customers() + data.interactions() + data.opportunities();
    report->seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    records = report->records;
    return absl::OkStatus();
  }

  absl::StatusOr<std::unique_ptr<Client>> NewClient() override {
    return std::unique_ptr<Client>(new RocksDbClient(this));
  }
  double CpuSeconds() override { return SelfCpuSeconds(); }
  std::string cpu_method() const override {
    return "getrusage(RUSAGE_SELF) of the benchmark process (RocksDB runs in the client threads; "
           "includes the load generator)";
  }
  void ResetPeakMemory() override { peak_ = 0; }
  void SampleMemory() override {
    if (!db_) return;
    int64_t total = static_cast<int64_t>(cache_->GetUsage());
    for (auto* h : handles_) {
      uint64_t v = 0;
      if (db_->GetIntProperty(h, "rocksdb.cur-size-all-mem-tables", &v))
        total += static_cast<int64_t>(v);
      if (db_->GetIntProperty(h, "rocksdb.estimate-table-readers-mem", &v))
        total += static_cast<int64_t>(v);
    }
    peak_ = std::max(peak_, total);
  }
  int64_t PeakMemoryBytes() override { return peak_; }
  std::string memory_method() const override {
    return "RocksDB's own accounting (block cache + memtables + table readers), sampled every "
           "100 ms: in-process, so no RSS of its own";
  }
  void Stop() override {
    if (!db_) return;
    rocksdb::FlushOptions flush;
    (void)db_->Flush(flush, handles_);
    for (auto* h : handles_) (void)db_->DestroyColumnFamilyHandle(h);
    handles_.clear();
    (void)db_->Close();
    db_.reset();
  }
  DiskUsage Disk() override {
    auto size = DirectorySize(path_, [](const std::string& path) {
      return path.size() > 4 && path.compare(path.size() - 4, 4, ".log") == 0;
    });
    return {size.total, size.wal};
  }

  // --- operations -------------------------------------------------------

  absl::Status Write(rocksdb::WriteBatch* batch) {
    auto s = db_->Write(write_, batch);
    return s.ok() ? absl::OkStatus() : absl::InternalError("rocksdb write: " + s.ToString());
  }
  std::string NewId() {
    return ids_.Next(std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count());
  }
  void Stamp(google::protobuf::Message* m, google::protobuf::Timestamp* create,
             google::protobuf::Timestamp* update) {
    (void)m;
    *create = google::protobuf::util::TimeUtil::GetCurrentTime();
    *update = *create;
  }
  void AddEvent(rocksdb::WriteBatch* batch, v1::ResourceType type, const std::string& id,
                const google::protobuf::Message* before, const google::protobuf::Message& after,
                v1::ChangeOperation operation, const std::vector<std::string>& changed) {
    v1::ChangeEvent event;
    uint64_t seq = sequence_.fetch_add(1) + 1;
    event.set_sequence(seq);
    *event.mutable_commit_time() = google::protobuf::util::TimeUtil::GetCurrentTime();
    event.set_resource_type(type);
    event.set_resource_id(id);
    event.set_operation(operation);
    for (const auto& f : changed) event.add_changed_fields(f);
    if (before) event.mutable_before()->PackFrom(*before);
    event.mutable_after()->PackFrom(after);
    event.set_principal("admin");
    batch->Put(feed(), store::FeedKey(kTenant, seq), event.SerializeAsString());
  }
  // Adds customer `c` (ID and output fields filled in) to `batch`; returns
  // its ID (text form).
  std::string AddCustomer(v1::Customer* c, rocksdb::WriteBatch* batch) {
    std::string id16 = NewId();
    c->set_id(ids::UlidToString(id16));
    for (auto& p : *c->mutable_phones()) p = KoreanMobileToE164(p);
    c->set_revision(1);
    Stamp(c, c->mutable_create_time(), c->mutable_update_time());
    batch->Put(entity(), store::EntityKey(kTenant, kCustomerType, id16), c->SerializeAsString());
    for (const auto& k : CustomerIndexKeys(*c, id16)) batch->Put(index(), k, "");
    AddEvent(batch, v1::RESOURCE_TYPE_CUSTOMER, c->id(), nullptr, *c, v1::CHANGE_OPERATION_CREATE,
             {"display_name", "emails", "phones", "owner", "tags", "address", "attributes"});
    batch->Merge(counters(), store::CounterKey(kTenant, kCustomerType), One());
    return c->id();
  }
  void AddInteraction(v1::Interaction* in, rocksdb::WriteBatch* batch) {
    std::string id16 = NewId();
    in->set_id(ids::UlidToString(id16));
    in->set_revision(1);
    Stamp(in, in->mutable_create_time(), in->mutable_update_time());
    if (!in->has_occurred_at()) *in->mutable_occurred_at() = in->create_time();
    batch->Put(entity(), store::EntityKey(kTenant, kInteractionType, id16),
               in->SerializeAsString());
    for (const auto& k : InteractionIndexKeys(*in, id16)) batch->Put(index(), k, "");
    AddEvent(batch, v1::RESOURCE_TYPE_INTERACTION, in->id(), nullptr, *in,
             v1::CHANGE_OPERATION_CREATE, {"kind", "customer_id", "owner", "subject", "body"});
    batch->Merge(counters(), store::CounterKey(kTenant, kInteractionType), One());
  }
  std::string AddOpportunity(v1::Opportunity* o, rocksdb::WriteBatch* batch) {
    std::string id16 = NewId();
    o->set_id(ids::UlidToString(id16));
    o->set_revision(1);
    Stamp(o, o->mutable_create_time(), o->mutable_update_time());
    batch->Put(entity(), store::EntityKey(kTenant, kOpportunityType, id16), o->SerializeAsString());
    for (const auto& k : OpportunityIndexKeys(*o, id16)) batch->Put(index(), k, "");
    AddEvent(batch, v1::RESOURCE_TYPE_OPPORTUNITY, o->id(), nullptr, *o,
             v1::CHANGE_OPERATION_CREATE, {"customer_id", "name", "amount", "pipeline", "stage"});
    batch->Merge(counters(), store::CounterKey(kTenant, kOpportunityType), One());
    return o->id();
  }

  template <typename M>
  absl::Status Read(uint8_t type, const std::string& id, M* out) {
    auto id16 = ids::UlidFromString(id);
    if (!id16.ok()) return id16.status();
    std::string value;
    auto s =
        db_->Get(rocksdb::ReadOptions(), entity(), store::EntityKey(kTenant, type, *id16), &value);
    if (s.IsNotFound()) return absl::NotFoundError(id);
    if (!s.ok()) return absl::InternalError(s.ToString());
    if (!out->ParseFromString(value)) return absl::DataLossError(id);
    return absl::OkStatus();
  }

  // Reads up to `limit` records whose IDs end the index keys in
  // [prefix, PrefixSuccessor(prefix)), in order (reverse: from the end),
  // skipping IDs already taken.
  template <typename M>
  absl::Status ScanRecords(uint8_t type, const std::string& prefix, bool reverse, int limit,
                           std::vector<M>* out) {
    const std::string upper = store::PrefixSuccessor(prefix);
    rocksdb::Slice lo(prefix), hi(upper);
    rocksdb::ReadOptions ro;
    ro.iterate_lower_bound = &lo;
    ro.iterate_upper_bound = &hi;
    const rocksdb::Snapshot* snap = db_->GetSnapshot();
    ro.snapshot = snap;
    std::vector<std::string> keys;
    {
      std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, index()));
      if (reverse) {
        it->SeekToLast();
      } else {
        it->SeekToFirst();
      }
      for (; it->Valid() && static_cast<int>(keys.size()) < limit;
           reverse ? it->Prev() : it->Next()) {
        auto k = it->key();
        std::string id16(k.data() + k.size() - 16, 16);
        std::string key = store::EntityKey(kTenant, type, id16);
        if (std::find(keys.begin(), keys.end(), key) == keys.end()) keys.push_back(std::move(key));
      }
      if (!it->status().ok()) {
        db_->ReleaseSnapshot(snap);
        return absl::InternalError(it->status().ToString());
      }
    }
    std::vector<rocksdb::Slice> slices(keys.begin(), keys.end());
    std::vector<std::string> values(keys.size());
    std::vector<rocksdb::ColumnFamilyHandle*> families(keys.size(), entity());
    rocksdb::ReadOptions get;
    get.snapshot = snap;
    auto statuses = db_->MultiGet(get, families, slices, &values);
    db_->ReleaseSnapshot(snap);
    for (size_t i = 0; i < keys.size(); ++i) {
      if (!statuses[i].ok()) continue;
      M m;
      if (!m.ParseFromString(values[i])) return absl::DataLossError("undecodable record");
      out->push_back(std::move(m));
    }
    return absl::OkStatus();
  }

  const std::string& customer_id(int64_t i) const { return customer_ids_[static_cast<size_t>(i)]; }
  const std::string& opportunity_id(int64_t k) const {
    return opportunity_ids_[static_cast<size_t>(k)];
  }
  rocksdb::DB* db() { return db_.get(); }
  rocksdb::ColumnFamilyHandle* entity() { return handles_[2]; }
  rocksdb::ColumnFamilyHandle* index() { return handles_[3]; }
  rocksdb::ColumnFamilyHandle* feed() { return handles_[4]; }
  rocksdb::ColumnFamilyHandle* counters() { return handles_[5]; }
  std::mutex& commit_mu() { return commit_mu_; }

 private:
  SystemConfig config_;
  std::string path_;
  std::shared_ptr<rocksdb::Cache> cache_;
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  rocksdb::WriteOptions write_;
  ids::UlidGenerator ids_;
  std::atomic<uint64_t> sequence_{0};
  std::mutex commit_mu_;
  std::vector<std::string> customer_ids_;
  std::vector<std::string> opportunity_ids_;
  int64_t peak_ = 0;
};

absl::Status RocksDbClient::Run(const Op& op) {
  RocksDbSystem& s = *system_;
  switch (op.kind) {
    case OpKind::kCreateCustomer: {
      v1::Customer c = *op.fresh_customer;
      rocksdb::WriteBatch batch;
      s.AddCustomer(&c, &batch);
      return s.Write(&batch);
    }
    case OpKind::kImport: {
      rocksdb::WriteBatch batch;
      for (const auto& input : *op.batch) {
        // An upsert first looks for a record with the same external ref.
        auto prefix =
            IndexKey(0x0101).String("erp").String(input.external_refs().at("erp")).Release();
        std::unique_ptr<rocksdb::Iterator> it(
            s.db()->NewIterator(rocksdb::ReadOptions(), s.index()));
        it->Seek(prefix);
        if (it->Valid() && it->key().starts_with(prefix))
          return absl::AlreadyExistsError("erp ref");
        v1::Customer c = input;
        s.AddCustomer(&c, &batch);
      }
      return s.Write(&batch);
    }
    case OpKind::kGetCustomer: {
      v1::Customer c;
      return s.Read(kCustomerType, s.customer_id(op.customer), &c);
    }
    case OpKind::kUpdateCustomer: {
      v1::Customer before;
      auto st = s.Read(kCustomerType, s.customer_id(op.customer), &before);
      if (!st.ok()) return st;
      v1::Customer after = before;
      after.set_lifecycle_stage(op.lifecycle);
      after.set_revision(before.revision() + 1);
      *after.mutable_update_time() = google::protobuf::util::TimeUtil::GetCurrentTime();
      std::string id16 = *ids::UlidFromString(after.id());
      rocksdb::WriteBatch batch;
      batch.Put(s.entity(), store::EntityKey(kTenant, kCustomerType, id16),
                after.SerializeAsString());
      batch.Delete(s.index(),
                   IndexKey(0x0107).I64(before.lifecycle_stage()).Bytes16(id16).Release());
      batch.Put(s.index(), IndexKey(0x0107).I64(after.lifecycle_stage()).Bytes16(id16).Release(),
                "");
      s.AddEvent(&batch, v1::RESOURCE_TYPE_CUSTOMER, after.id(), &before, after,
                 v1::CHANGE_OPERATION_UPDATE, {"lifecycle_stage"});
      std::lock_guard<std::mutex> lock(s.commit_mu());
      return s.Write(&batch);
    }
    case OpKind::kLogInteraction: {
      v1::Interaction in = *op.fresh_interaction;
      in.set_customer_id(s.customer_id(op.customer));
      // The reference check: the customer must exist.
      v1::Customer c;
      auto st = s.Read(kCustomerType, in.customer_id(), &c);
      if (!st.ok()) return st;
      rocksdb::WriteBatch batch;
      s.AddInteraction(&in, &batch);
      return s.Write(&batch);
    }
    case OpKind::kMoveStage: {
      const std::string& id = s.opportunity_id(op.opportunity);
      const std::string id16 = *ids::UlidFromString(id);
      for (int attempt = 0;; ++attempt) {
        v1::Opportunity before;
        auto st = s.Read(kOpportunityType, id, &before);
        if (!st.ok()) return st;
        v1::Opportunity after = before;
        after.set_stage(NextStage(before.stage(), op.stage_step));
        after.set_revision(before.revision() + 1);
        *after.mutable_update_time() = google::protobuf::util::TimeUtil::GetCurrentTime();
        rocksdb::WriteBatch batch;
        batch.Put(s.entity(), store::EntityKey(kTenant, kOpportunityType, id16),
                  after.SerializeAsString());
        batch.Delete(s.index(), PipelineKey(before, id16));
        batch.Put(s.index(), PipelineKey(after, id16), "");
        s.AddEvent(&batch, v1::RESOURCE_TYPE_OPPORTUNITY, id, &before, after,
                   v1::CHANGE_OPERATION_UPDATE, {"stage"});
        std::lock_guard<std::mutex> lock(s.commit_mu());
        v1::Opportunity current;
        st = s.Read(kOpportunityType, id, &current);
        if (!st.ok()) return st;
        if (current.revision() != before.revision()) {
          if (attempt < 20) {
            ++conflicts_;
            continue;
          }
          return absl::AbortedError("revision changed");
        }
        return s.Write(&batch);
      }
    }
    case OpKind::kListPipeline: {
      std::vector<v1::Opportunity> page;
      return s.ScanRecords(
          kOpportunityType,
          IndexKey(0x0305).String(kPipeline).String(kListStage).String(kListCurrency).Release(),
          /*reverse=*/true, kPipelinePageSize, &page);
    }
    case OpKind::kPipelineAggregate: {
      // The index key holds the amount: sum it without reading records.
      const std::string prefix =
          IndexKey(0x0305).String(kPipeline).String(kListStage).String(kListCurrency).Release();
      const std::string upper = store::PrefixSuccessor(prefix);
      rocksdb::Slice lo(prefix), hi(upper);
      rocksdb::ReadOptions ro;
      ro.iterate_lower_bound = &lo;
      ro.iterate_upper_bound = &hi;
      std::unique_ptr<rocksdb::Iterator> it(s.db()->NewIterator(ro, s.index()));
      int64_t sum = 0;
      for (it->SeekToFirst(); it->Valid(); it->Next()) {
        store::KeyReader reader(it->key().ToStringView().substr(prefix.size()));
        int64_t units = 0;
        if (reader.I64(&units)) sum += units;
      }
      return sum >= 0 ? absl::OkStatus() : absl::InternalError("negative sum");
    }
    case OpKind::kSearch: {
      std::vector<v1::Customer> found;
      auto st = s.ScanRecords(kCustomerType, StringPrefix(0x0103, validation::SearchKey(op.query)),
                              false, kSearchPageSize, &found);
      if (st.ok() && found.empty()) return absl::NotFoundError("search found nothing");
      return st;
    }
    case OpKind::kCustomer360: {
      const std::string& id = s.customer_id(op.customer);
      v1::Customer c;
      auto st = s.Read(kCustomerType, id, &c);
      if (!st.ok()) return st;
      std::vector<v1::Interaction> timeline;
      st = s.ScanRecords(kInteractionType, IndexKey(0x0203).String(id).Release(), true,
                         kTimelinePageSize, &timeline);
      if (!st.ok()) return st;
      std::vector<v1::Opportunity> deals;
      return s.ScanRecords(kOpportunityType,
                           IndexKey(0x0303).String(id).I64(v1::OPPORTUNITY_STATUS_OPEN).Release(),
                           false, 50, &deals);
    }
    case OpKind::kCount:
      break;
  }
  return absl::InvalidArgumentError("unknown operation");
}

}  // namespace

std::unique_ptr<System> NewRocksDbSystem(const SystemConfig& config) {
  return std::make_unique<RocksDbSystem>(config);
}

}  // namespace rapport::bench
