#!/usr/bin/env python3
"""A service calling Rapport from Python: the patterns to copy.

Each scenario is one function and prints what it did, one line each,
prefixed with its name:

  upsert    upsert a customer by its ERP reference; a request_id makes a
            retry after a timeout return the same record
  revision  update with expected_revision; on ABORTED, re-read and retry
  invalid   read google.rpc.BadRequest field violations from INVALID_ARGUMENT
  paging    page a filtered list to the end with page tokens
  feed      subscribe to the change feed, save the cursor, resume after a
            restart without missing or repeating an event
  module    call a module's method (SFA) and tell "module off for you" apart
  errors    the failures a caller meets: expired token, another tenant's id,
            stale revision, malformed filter, expired feed cursor

Every call has a deadline. The token comes from --token-file or the
RAPPORT_TOKEN environment variable; --ca-file switches to TLS.

  PYTHONPATH=STUBS python3 rapport_example.py --server 127.0.0.1:7700 \\
      --token-file data/admin.token [--ca-file ca.pem] [SCENARIO ...]

STUBS is the folder generate_stubs.sh wrote.
"""

import argparse
import os
import sys
import time
import uuid

import grpc
from google.protobuf import field_mask_pb2, timestamp_pb2
from google.rpc import error_details_pb2, status_pb2

from rapport.sfa.v1 import sfa_pb2, sfa_pb2_grpc
from rapport.v1 import customer_pb2, customer_pb2_grpc
from rapport.v1 import identity_pb2, identity_pb2_grpc
from rapport.v1 import modules_pb2, modules_pb2_grpc
from rapport.v1 import sync_pb2, sync_pb2_grpc

DEADLINE = 5.0  # seconds, on every call


class Rapport:
    """One connection: a channel, the bearer token and the stubs."""

    def __init__(self, server, token, ca_file=None):
        if ca_file:
            with open(ca_file, "rb") as f:
                credentials = grpc.ssl_channel_credentials(root_certificates=f.read())
            self.channel = grpc.secure_channel(server, credentials)
        else:
            self.channel = grpc.insecure_channel(server)
        self.metadata = (("authorization", "Bearer " + token),)
        self.customers = customer_pb2_grpc.CustomerServiceStub(self.channel)
        self.identity = identity_pb2_grpc.IdentityServiceStub(self.channel)
        self.modules = modules_pb2_grpc.ModuleServiceStub(self.channel)
        self.events = sync_pb2_grpc.EventServiceStub(self.channel)
        self.sales = sfa_pb2_grpc.SalesServiceStub(self.channel)

    def call(self, method, request, timeout=DEADLINE):
        return method(request, timeout=timeout, metadata=self.metadata)

    def close(self):
        self.channel.close()


def read_token(token_file):
    if token_file:
        with open(token_file, encoding="utf-8") as f:
            return f.read().strip()
    token = os.environ.get("RAPPORT_TOKEN", "")
    if not token:
        sys.exit("no token: pass --token-file or set RAPPORT_TOKEN")
    return token


def field_violations(error):
    """The (field, description) pairs of an INVALID_ARGUMENT's BadRequest."""
    for key, value in error.trailing_metadata() or ():
        if key != "grpc-status-details-bin":
            continue
        status = status_pb2.Status.FromString(value)
        for detail in status.details:
            bad_request = error_details_pb2.BadRequest()
            if detail.Unpack(bad_request):
                return [(v.field, v.description) for v in bad_request.field_violations]
    return []


def answered_by_server(error):
    """True if rapportd sent the error (it always attaches an ErrorInfo), not
    the transport (no server reached, connection lost)."""
    for key, value in error.trailing_metadata() or ():
        if key == "grpc-status-details-bin":
            status = status_pb2.Status.FromString(value)
            return any(d.Is(error_details_pb2.ErrorInfo.DESCRIPTOR) for d in status.details)
    return False


def upsert_by_external_ref(rapport, system, external_id, fields, attempt_timeout=DEADLINE):
    """Creates or updates the customer the ERP knows as system/external_id.

    The create carries a request_id derived from the reference, so a retry
    after a timeout (the first attempt may have been applied) returns the
    record the first attempt created instead of creating a second one.
    """
    try:
        found = rapport.call(rapport.customers.GetCustomerByExternalRef,
                             customer_pb2.GetCustomerByExternalRefRequest(
                                 system=system, external_id=external_id))
        patch = customer_pb2.Customer(id=found.id, **fields)
        return rapport.call(rapport.customers.UpdateCustomer, customer_pb2.UpdateCustomerRequest(
            customer=patch, update_mask=field_mask_pb2.FieldMask(paths=list(fields)),
            expected_revision=found.revision)), "updated"
    except grpc.RpcError as error:
        if error.code() != grpc.StatusCode.NOT_FOUND:
            raise
    customer = customer_pb2.Customer(external_refs={system: external_id}, **fields)
    request = customer_pb2.CreateCustomerRequest(
        customer=customer, request_id=f"upsert:{system}:{external_id}")
    for attempt in range(5):
        try:
            timeout = attempt_timeout if attempt == 0 else DEADLINE
            return rapport.call(rapport.customers.CreateCustomer, request, timeout), "created"
        except grpc.RpcError as error:
            if error.code() not in (grpc.StatusCode.DEADLINE_EXCEEDED,
                                    grpc.StatusCode.UNAVAILABLE):
                raise
            print(f"upsert: attempt {attempt + 1} failed with {error.code().name}; "
                  "retrying with the same request_id")
            time.sleep(0.1 * 2 ** attempt)
    raise RuntimeError("upsert: gave up after 5 attempts")


def scenario_upsert(rapport, run):
    ref = f"ICC-{run}"
    # The first attempt's deadline has passed before it is sent: a timeout, as
    # on a stalled network. (A deadline of 1 µs did not always fail: gRPC turns
    # the wall-clock deadline into its own clock, with a little jitter.)
    first, how = upsert_by_external_ref(rapport, "erp", ref, {"display_name": "주식회사 한빛"},
                                        attempt_timeout=-1.0)
    print(f"upsert: {how} {first.id} for erp/{ref}")
    again, how = upsert_by_external_ref(rapport, "erp", ref, {"display_name": "주식회사 한빛 (본사)"})
    print(f"upsert: {how} {again.id} revision {again.revision}")
    print(f"upsert: same record: {first.id == again.id}")


def update_with_revision(rapport, customer_id, change, attempts=5):
    """Applies change(customer) -> (customer, mask) at the current revision,
    re-reading and retrying when someone else wrote in between (ABORTED)."""
    for attempt in range(attempts):
        current = rapport.call(rapport.customers.GetCustomer,
                               customer_pb2.GetCustomerRequest(id=customer_id))
        patch, mask = change(current)
        try:
            return rapport.call(rapport.customers.UpdateCustomer, customer_pb2.UpdateCustomerRequest(
                customer=patch, update_mask=field_mask_pb2.FieldMask(paths=mask),
                expected_revision=current.revision)), attempt
        except grpc.RpcError as error:
            if error.code() != grpc.StatusCode.ABORTED:
                raise
            print(f"revision: ABORTED ({error.details()}); re-reading")
    raise RuntimeError("revision: still conflicting")


def scenario_revision(rapport, run):
    created = rapport.call(rapport.customers.CreateCustomer, customer_pb2.CreateCustomerRequest(
        customer=customer_pb2.Customer(display_name=f"김민수 {run}", tags=["lead"]),
        request_id=f"revision:{run}"))
    raced = {"done": False}

    def add_tag(current):
        if not raced["done"]:  # another service writes between our read and our write
            raced["done"] = True
            rapport.call(rapport.customers.UpdateCustomer, customer_pb2.UpdateCustomerRequest(
                customer=customer_pb2.Customer(id=current.id, tags=list(current.tags) + ["erp"]),
                update_mask=field_mask_pb2.FieldMask(paths=["tags"])))
        patch = customer_pb2.Customer(id=current.id, tags=list(current.tags) + ["vip"])
        return patch, ["tags"]

    updated, retries = update_with_revision(rapport, created.id, add_tag)
    print(f"revision: updated after {retries} retry; tags {','.join(updated.tags)}; "
          f"revision {updated.revision}")


def scenario_invalid(rapport, run):
    try:
        rapport.call(rapport.customers.CreateCustomer, customer_pb2.CreateCustomerRequest(
            customer=customer_pb2.Customer(display_name="", emails=["kim@example.com", "not-an-email"])))
        print("invalid: accepted?!")
    except grpc.RpcError as error:
        print(f"invalid: {error.code().name}")
        for field, description in field_violations(error):
            print(f"invalid: field {field}: {description}")


def scenario_paging(rapport, run):
    tag = f"page-{run}"
    for i in range(7):
        rapport.call(rapport.customers.CreateCustomer, customer_pb2.CreateCustomerRequest(
            customer=customer_pb2.Customer(display_name=f"고객 {i}", tags=[tag]),
            request_id=f"paging:{run}:{i}"))
    names, pages, token = [], 0, ""
    while True:
        page = rapport.call(rapport.customers.ListCustomers, customer_pb2.ListCustomersRequest(
            filter=f'tags = "{tag}"', page_size=3, page_token=token))
        pages += 1
        names += [c.display_name for c in page.customers]
        token = page.next_page_token
        if not token:
            break
    print(f"paging: {len(names)} customers in {pages} pages, {len(set(names))} distinct")


def read_events(rapport, after, want, seconds=5.0):
    """Up to `want` record events after sequence `after` (heartbeats skipped)."""
    events = []
    stream = rapport.call(rapport.events.Subscribe,
                          sync_pb2.SubscribeRequest(after_sequence=after), timeout=seconds)
    try:
        for response in stream:
            if response.HasField("event"):
                events.append(response.event)
                if len(events) == want:
                    break
    except grpc.RpcError as error:
        if error.code() != grpc.StatusCode.DEADLINE_EXCEEDED:
            raise
    finally:
        stream.cancel()
    return events


def scenario_feed(rapport, run, server, token, ca_file, cursor_file):
    head = rapport.call(rapport.events.GetFeedInfo, sync_pb2.GetFeedInfoRequest()).head_sequence
    with open(cursor_file, "w", encoding="utf-8") as f:
        f.write(str(head))
    made = []
    for i in range(5):
        made.append(rapport.call(rapport.customers.CreateCustomer, customer_pb2.CreateCustomerRequest(
            customer=customer_pb2.Customer(display_name=f"피드 {i}"),
            request_id=f"feed:{run}:{i}")).id)
    # Process three events, saving the cursor after each one.
    seen = []
    with open(cursor_file, encoding="utf-8") as f:
        cursor = int(f.read())
    for event in read_events(rapport, cursor, 3):
        seen.append(event.resource_id)
        with open(cursor_file, "w", encoding="utf-8") as f:
            f.write(str(event.sequence))
    # "Restart": a new connection that only knows the saved cursor.
    rapport.close()
    again = Rapport(server, token, ca_file)
    with open(cursor_file, encoding="utf-8") as f:
        cursor = int(f.read())
    for event in read_events(again, cursor, 2):
        seen.append(event.resource_id)
    again.close()
    print(f"feed: {len(seen)} events, in order and once each: {seen == made}")


def scenario_module(rapport, run):
    def funnel():
        return rapport.call(rapport.sales.GetFunnel, sfa_pb2.GetFunnelRequest(pipeline="default"))

    for _ in range(2):
        try:
            funnel()
            print("module: sfa answered")
            return
        except grpc.RpcError as error:
            if error.code() == grpc.StatusCode.FAILED_PRECONDITION and "module 'sfa' is off" in error.details():
                print(f"module: sfa is off for this caller: {error.details()}")
                rule = modules_pb2.RolloutRule(module="sfa", default_mode=modules_pb2.MODULE_MODE_ON)
                rapport.call(rapport.modules.SetRollout, modules_pb2.SetRolloutRequest(rule=rule))
                print("module: turned sfa on for the tenant")
                continue
            if error.code() == grpc.StatusCode.UNIMPLEMENTED:
                print("module: sfa is not installed on this server")
                return
            # Anything else is the method's own answer (here: no such pipeline).
            print(f"module: sfa answered {error.code().name}: {error.details()}")
            return


def scenario_errors(rapport, run, server, ca_file):
    # A token that has expired.
    me = rapport.call(rapport.identity.GetCaller, identity_pb2.GetCallerRequest())
    expire = timestamp_pb2.Timestamp()
    expire.FromSeconds(int(time.time()) + 1)
    made = rapport.call(rapport.identity.CreateToken, identity_pb2.CreateTokenRequest(
        token=identity_pb2.ApiToken(user_id=me.user.id, name=f"short-{run}", expire_time=expire)))
    time.sleep(2.2)
    expired = Rapport(server, made.secret, ca_file)
    try:
        expired.call(expired.customers.ListCustomers, customer_pb2.ListCustomersRequest(page_size=1))
        print("errors: expired token accepted?!")
    except grpc.RpcError as error:
        print(f"errors: expired token: {error.code().name}")
    expired.close()

    # Another tenant's record id reads as NOT_FOUND.
    tenant = rapport.call(rapport.identity.CreateTenant, identity_pb2.CreateTenantRequest(
        tenant=identity_pb2.Tenant(name=f"other-{run}"),
        admin=identity_pb2.User(id="admin")))
    other = Rapport(server, tenant.admin_token.secret, ca_file)
    theirs = other.call(other.customers.CreateCustomer, customer_pb2.CreateCustomerRequest(
        customer=customer_pb2.Customer(display_name="남의 고객")))
    other.close()
    try:
        rapport.call(rapport.customers.GetCustomer, customer_pb2.GetCustomerRequest(id=theirs.id))
        print("errors: another tenant's record readable?!")
    except grpc.RpcError as error:
        print(f"errors: another tenant's id: {error.code().name}")

    # A stale revision.
    mine = rapport.call(rapport.customers.CreateCustomer, customer_pb2.CreateCustomerRequest(
        customer=customer_pb2.Customer(display_name="낡은 판")))
    try:
        rapport.call(rapport.customers.UpdateCustomer, customer_pb2.UpdateCustomerRequest(
            customer=customer_pb2.Customer(id=mine.id, display_name="새 판"),
            update_mask=field_mask_pb2.FieldMask(paths=["display_name"]),
            expected_revision=mine.revision + 5))
        print("errors: stale revision accepted?!")
    except grpc.RpcError as error:
        print(f"errors: stale revision: {error.code().name}")

    # A malformed filter names the field.
    try:
        rapport.call(rapport.customers.ListCustomers,
                     customer_pb2.ListCustomersRequest(filter='tags = = "vip"'))
        print("errors: malformed filter accepted?!")
    except grpc.RpcError as error:
        fields = ",".join(f for f, _ in field_violations(error))
        print(f"errors: malformed filter: {error.code().name} on {fields}")

    # A feed cursor older than retention (or beyond the head): resynchronise
    # from the records, then subscribe from the head.
    info = rapport.call(rapport.events.GetFeedInfo, sync_pb2.GetFeedInfoRequest())
    stale = 1 if info.oldest_sequence > 2 else info.head_sequence + 1000
    try:
        read_events(rapport, stale, 1)
        print("errors: stale cursor accepted?!")
    except grpc.RpcError as error:
        kind = "older than retention" if stale == 1 else "beyond the head"
        print(f"errors: cursor {kind}: {error.code().name}; resynchronise from the records")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", default="127.0.0.1:7700")
    parser.add_argument("--token-file")
    parser.add_argument("--ca-file", help="PEM roots: use TLS")
    parser.add_argument("--cursor-file", default="rapport-feed.cursor")
    parser.add_argument("scenarios", nargs="*",
                        default=["upsert", "revision", "invalid", "paging", "feed", "module",
                                 "errors"])
    args = parser.parse_args()
    token = read_token(args.token_file)
    run = uuid.uuid4().hex[:8]  # keeps request ids and references unique per run
    rapport = Rapport(args.server, token, args.ca_file)
    try:
        for name in args.scenarios:
            if name == "feed":
                scenario_feed(rapport, run, args.server, token, args.ca_file, args.cursor_file)
                rapport = Rapport(args.server, token, args.ca_file)
            elif name == "errors":
                scenario_errors(rapport, run, args.server, args.ca_file)
            else:
                globals()[f"scenario_{name}"](rapport, run)
    except grpc.RpcError as error:
        where = "rapportd" if answered_by_server(error) else "the transport"
        sys.exit(f"error from {where}: {error.code().name}: {error.details()}")
    finally:
        rapport.close()


if __name__ == "__main__":
    main()
