"""Requests as grpcurl and ghz write them (protobuf's JSON mapping, with
well-known types such as FieldMask in their object form), turned into
messages, and called through the hub from Python. Shared by the load-test
profile test, the README test and the grpcurl/ghz stand-ins (standins/).

Needs the message classes imported first (ndxp_client.generate_stubs).
"""

import uuid

from google.protobuf import json_format, symbol_database


def render(value, request_number):
    """ghz's call templates in strings: {{.UUID}}, {{.RequestNumber}}."""
    if isinstance(value, str):
        value = value.replace("{{.UUID}}", str(uuid.uuid4()))
        value = value.replace("{{.RequestNumber}}", str(request_number))
        if "{{" in value:
            raise ValueError("template this test does not know: " + value)
        return value
    if isinstance(value, dict):
        return {k: render(v, request_number) for k, v in value.items()}
    if isinstance(value, list):
        return [render(v, request_number) for v in value]
    return value


def camel(path):
    head, *rest = path.split("_")
    return head + "".join(word.capitalize() for word in rest)


def to_canonical(value, descriptor):
    """grpcurl's and ghz's JSON (object form of well-known types) to
    protobuf's canonical JSON, which json_format parses. Only FieldMask occurs
    in our requests, and only its object form is accepted (both tools refuse
    the string form "fullName,dateOfBirth"); another well-known type in
    object form fails loudly."""
    if not isinstance(value, dict):
        return value
    out = {}
    for key, item in value.items():
        field = descriptor.fields_by_name.get(key) or next(
            (f for f in descriptor.fields if f.json_name == key), None)
        if field is None or field.message_type is None:
            out[key] = item  # json_format reports unknown fields itself
            continue
        items = item if field.label == field.LABEL_REPEATED else [item]
        converted = []
        for one in items:
            name = field.message_type.full_name
            if name == "google.protobuf.FieldMask":
                if not isinstance(one, dict):  # what both tools refuse
                    raise ValueError('%s: a FieldMask is {"paths": [...]} here, not %r'
                                     % (key, one))
                if set(one) != {"paths"}:
                    raise ValueError("%s: a FieldMask object has only paths" % key)
                one = ",".join(camel(path) for path in one["paths"])
            elif name.startswith("google.protobuf.") and isinstance(one, dict):
                raise ValueError("%s: object form of %s is not handled here" % (key, name))
            else:
                one = to_canonical(one, field.message_type)
            converted.append(one)
        out[key] = converted if field.label == field.LABEL_REPEATED else converted[0]
    return out


def find_method(full_method):
    """(method descriptor, request class, response class) of
    "package.Service.Method" or "package.Service/Method"."""
    service_name, method_name = full_method.replace("/", ".").rsplit(".", 1)
    database = symbol_database.Default()
    method = database.pool.FindServiceByName(service_name).methods_by_name[method_name]
    return (method, database.GetSymbol(method.input_type.full_name),
            database.GetSymbol(method.output_type.full_name))


def parse_request(full_method, data, request_number=0):
    """The request message of a method from grpcurl/ghz JSON."""
    _, request_class, _ = find_method(full_method)
    request = request_class()
    json_format.ParseDict(to_canonical(render(data, request_number), request.DESCRIPTOR),
                          request)
    return request


def call(channel, full_method, request, metadata=(), timeout=10):
    """One call, unary or server-streaming: the answers, as a list."""
    method, _, response_class = find_method(full_method)
    path = "/%s/%s" % (method.containing_service.full_name, method.name)
    serializer = type(request).SerializeToString
    if method.server_streaming:
        stream = channel.unary_stream(path, request_serializer=serializer,
                                      response_deserializer=response_class.FromString)
        return list(stream(request, metadata=list(metadata), timeout=timeout))
    unary = channel.unary_unary(path, request_serializer=serializer,
                                response_deserializer=response_class.FromString)
    return [unary(request, metadata=list(metadata), timeout=timeout)]
