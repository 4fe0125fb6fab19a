"""What the grpcurl and ghz stand-ins share (neither tool is packaged by
Debian). Each parses its tool's command line, parses the request JSON as the
method's request message the way the tool does (protobuf's JSON mapping,
well-known types in object form: tests/python/grpc_json.py) and makes the
same call from Python over the same mutual TLS, so a README or profile
command that the real tool would refuse fails here too.

The message classes come from stubs generated into $NDXP_STANDIN_STUBS (or
a temporary directory).
"""

import os
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
sys.path[:0] = [os.path.dirname(HERE), os.path.join(ROOT, "clients", "python")]

import grpc  # noqa: E402

from ndxp_client import connect, generate_stubs  # noqa: E402
import grpc_json  # noqa: E402,F401  (re-exported for the stand-ins)

REFLECTION_DIR = "/usr/share/grpc-proto/grpc/reflection/v1alpha"


def load_stubs():
    out = os.environ.get("NDXP_STANDIN_STUBS") or tempfile.mkdtemp(prefix="ndxp-standin-")
    return generate_stubs(out)


def reflection_stubs():
    """grpc.reflection.v1alpha from Debian's grpc-proto, for `grpcurl list`
    (generated as top-level modules: `grpc` itself is the installed package)."""
    from grpc_tools import protoc
    out = os.environ.get("NDXP_STANDIN_STUBS") or tempfile.mkdtemp(prefix="ndxp-standin-")
    os.makedirs(out, exist_ok=True)
    if protoc.main(["protoc", "-I" + REFLECTION_DIR, "--python_out=" + out,
                    "--grpc_python_out=" + out,
                    os.path.join(REFLECTION_DIR, "reflection.proto")]) != 0:
        raise RuntimeError("protoc failed on " + REFLECTION_DIR)
    if out not in sys.path:
        sys.path.insert(0, out)
    import reflection_pb2
    import reflection_pb2_grpc
    return reflection_pb2, reflection_pb2_grpc


def channel(address, ca, cert, key):
    return connect(address, ca, cert, key)


def go_code_name(code):
    """grpc.StatusCode.INVALID_ARGUMENT -> "InvalidArgument", as Go's codes print."""
    return "".join(word.capitalize() for word in code.name.split("_"))


def fail(tool, message, status=1):
    print("%s (stand-in): %s" % (tool, message), file=sys.stderr)
    sys.exit(status)


__all__ = ["grpc", "grpc_json", "load_stubs", "reflection_stubs", "channel", "go_code_name",
           "fail"]
