// File: services/common/byte_buffer.h
//
// grpc::ByteBuffer <-> std::string, for the places that handle serialized
// messages without their types: the generic plugin RPC service and the
// HTTP/JSON gateway's generic stub.
#ifndef RAPPORT_SERVICES_COMMON_BYTE_BUFFER_H_
#define RAPPORT_SERVICES_COMMON_BYTE_BUFFER_H_

#include <string>

#include "grpcpp/support/byte_buffer.h"

namespace rapport::services {

// The buffer's bytes in one string ("" if it cannot be read).
std::string Flatten(const grpc::ByteBuffer& buffer);

// One slice holding a copy of `bytes`.
grpc::ByteBuffer ToByteBuffer(const std::string& bytes);

}  // namespace rapport::services

#endif  // RAPPORT_SERVICES_COMMON_BYTE_BUFFER_H_
