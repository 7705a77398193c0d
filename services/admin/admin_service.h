// File: services/admin/admin_service.h
//
// Operator RPCs: the record/index/feed consistency check, how the server
// stores writes (--sync and the WAL's syncs), and online backups
// (core/store/backup.h).
#ifndef RAPPORT_SERVICES_ADMIN_ADMIN_SERVICE_H_
#define RAPPORT_SERVICES_ADMIN_ADMIN_SERVICE_H_

#include <filesystem>

#include "core/common/status_util.h"
#include "core/store/backup.h"
#include "rapport/v1/admin.grpc.pb.h"
#include "services/common/service_deps.h"

namespace rapport::services {

class AdminServiceImpl final : public v1::AdminService::Service {
 public:
  explicit AdminServiceImpl(ServiceDeps deps) : deps_(deps) {}
  grpc::Status CheckConsistency(grpc::ServerContext* call,
                                const v1::CheckConsistencyRequest* request,
                                v1::CheckConsistencyResponse* response) override {
    return Handle(
        deps_, call, "rapport.v1.AdminService", __func__, [&](const Caller& c) -> absl::Status {
          if (!c.principal->IsAdmin()) {
            return absl::PermissionDeniedError("the consistency check needs the admin role");
          }
          auto result = deps_.store->CheckConsistency(c.ctx, request->max_problems());
          if (!result.ok()) return result.status();
          *response = std::move(*result);
          return absl::OkStatus();
        });
  }
  grpc::Status GetServerInfo(grpc::ServerContext* call, const v1::GetServerInfoRequest*,
                             v1::GetServerInfoResponse* response) override {
    return Handle(deps_, call, "rapport.v1.AdminService", __func__,
                  [&](const Caller& c) -> absl::Status {
                    if (!c.principal->IsAdmin()) {
                      return absl::PermissionDeniedError("server facts need the admin role");
                    }
                    // What the store actually writes with, not what was asked for.
                    const store::Database& db = *deps_.store->database();
                    auto wal = db.GetWalStats();
                    if (!wal.ok()) return wal.status();
                    response->set_sync_writes(db.sync_writes());
                    response->set_wal_writes(wal->writes);
                    response->set_wal_syncs(wal->syncs);
                    return absl::OkStatus();
                  });
  }

  grpc::Status CreateBackup(grpc::ServerContext* call, const v1::CreateBackupRequest* request,
                            v1::CreateBackupResponse* response) override {
    return Handle(
        deps_, call, "rapport.v1.AdminService", __func__, [&](const Caller& c) -> absl::Status {
          if (!c.principal->is_operator) {
            return absl::PermissionDeniedError(
                "a backup holds every tenant: it needs the operator (the bootstrap "
                "tenant's admin)");
          }
          const std::string& dir = request->destination();
          if (dir.empty()) return InvalidField("destination", "is required");
          if (!std::filesystem::path(dir).is_absolute()) {
            return InvalidField("destination", "must be an absolute path on the server's machine");
          }
          auto info = store::CreateBackup(deps_.store->database(), dir);
          if (!info.ok()) return info.status();
          response->set_backup_id(info->backup_id);
          response->mutable_create_time()->set_seconds(info->timestamp);
          response->set_size_bytes(info->size_bytes);
          response->set_files(info->files);
          return absl::OkStatus();
        });
  }

 private:
  ServiceDeps deps_;
};

}  // namespace rapport::services

#endif  // RAPPORT_SERVICES_ADMIN_ADMIN_SERVICE_H_
