"""Calling the ndxp hub from Python: stubs generated from proto/, mutual TLS.

Agencies need nothing but the .proto files and their certificate:

    from ndxp_client import connect, generate_stubs
    stubs = generate_stubs("/tmp/ndxp-stubs")  # residents_pb2, ..., statistics_pb2, echo_pb2
    channel = connect(hub, ca, cert, key)
    registry = stubs.residents_pb2_grpc.ResidentRegistryStub(channel)
    answer = registry.VerifyCitizen(request, metadata=[("x-ndxp-purpose", "...")])

Uses Debian's python3-grpcio and python3-grpc-tools (/usr/bin/python3).
"""

import importlib
import os
import sys
import types

import grpc

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PROTO_DIR = os.path.join(ROOT, "proto")
# Every agency's service, the hub's own Statistics API (operators) and
# DataSubjectAccess API (the public-service portal, operators), the
# benchmark Echo service (load tests), and google.rpc's error model:
# INVALID_ARGUMENT answers carry a google.rpc.BadRequest naming the wrong fields;
# google.api's http option, which the service protos import (REST mappings);
# ndxp's own field options (data_subject), which they import too.
PROTOS = [
    "ndxp/v1/options.proto",
    "ndxp/residents/v1/residents.proto",
    "ndxp/insurance/v1/insurance.proto",
    "ndxp/business/v1/business.proto",
    "ndxp/land/v1/land.proto",
    "ndxp/civil_status/v1/civil_status.proto",
    "ndxp/documents/v1/documents.proto",
    "ndxp/hub/v1/statistics.proto",
    "ndxp/hub/v1/data_subject_access.proto",
    "ndxp/bench/v1/echo.proto",
    "google/rpc/status.proto",
    "google/rpc/error_details.proto",
    "google/api/http.proto",
    "google/api/annotations.proto",
]


def generate_stubs(out_dir, protos=PROTOS):
    """Runs protoc (grpc_tools) on proto/ into out_dir and imports the modules."""
    from grpc_tools import protoc
    import grpc_tools
    well_known = os.path.join(os.path.dirname(grpc_tools.__file__), "_proto")
    os.makedirs(out_dir, exist_ok=True)
    for proto in protos:
        rc = protoc.main(["protoc", "-I" + PROTO_DIR, "-I" + well_known,
                          "--python_out=" + out_dir, "--grpc_python_out=" + out_dir,
                          os.path.join(PROTO_DIR, proto)])
        if rc != 0:
            raise RuntimeError("protoc failed on " + proto)
    if out_dir not in sys.path:
        sys.path.insert(0, out_dir)
    modules = types.SimpleNamespace()
    for proto in protos:
        base = proto[:-len(".proto")].replace("/", ".")
        name = base.rsplit(".", 1)[1]
        setattr(modules, name + "_pb2", importlib.import_module(base + "_pb2"))
        setattr(modules, name + "_pb2_grpc", importlib.import_module(base + "_pb2_grpc"))
    return modules


def connect(hub, ca_path, cert_path, key_path):
    """A channel to the hub that presents this agency's certificate."""
    def read(path):
        with open(path, "rb") as f:
            return f.read()
    credentials = grpc.ssl_channel_credentials(read(ca_path), read(key_path), read(cert_path))
    return grpc.secure_channel(hub, credentials)


def connect_as(endpoints, identity):
    """A channel for one of the identities listed in a federation's endpoints.json."""
    who = endpoints["identities"][identity]
    return connect(endpoints["hub"], endpoints["ca"], who["cert"], who["key"])


def status_details(error):
    """The google.rpc.Status of a failed call (from the grpc-status-details-bin
    trailer), or None. Needs generate_stubs() to have run."""
    from google.rpc import status_pb2
    for key, value in error.trailing_metadata() or ():
        if key == "grpc-status-details-bin":
            status = status_pb2.Status()
            status.ParseFromString(value)
            return status
    return None


def field_violations(error):
    """[(field, description)] of the google.rpc.BadRequest an INVALID_ARGUMENT
    answer carries; [] when it has none."""
    from google.rpc import error_details_pb2
    status = status_details(error)
    violations = []
    for detail in status.details if status else ():
        bad_request = error_details_pb2.BadRequest()
        if detail.Unpack(bad_request):
            violations += [(v.field, v.description) for v in bad_request.field_violations]
    return violations
