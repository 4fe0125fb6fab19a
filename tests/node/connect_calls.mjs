// Calls the hub's JSON door with the Connect client for Node
// (@connectrpc/connect-node), as an agency's Node system would: mutual TLS
// with the member's certificate, HTTP/2 or HTTP/1.1, JSON or binary, stubs
// that protoc-gen-es generated from proto/. tests/python/test_connect_node.py
// runs it and asserts on what it prints.
//
// Usage: node connect_calls.mjs STUBS_DIR BASE_URL < calls.json
//   STUBS_DIR  protoc-gen-es output (target=js, import_extension=js), with a
//              package.json {"type": "module"} and node_modules in reach
//   BASE_URL   the hub, https://127.0.0.1:PORT
// calls.json is a list of calls, made one after the other:
//   {"name": "...", "ca": PEM file, "cert": PEM file, "key": PEM file,
//    "httpVersion": "2" | "1.1", "binary": false | true,
//    "file": "ndxp/bench/v1/echo_pb.js", "service": "Echo", "method": "echo",
//    "request": <the request in protobuf's JSON mapping>,
//    "headers": {"x-ndxp-purpose": "..."}, "timeoutMs": 500}
// Each call prints one JSON line:
//   {"name", "ok": true, "response": <JSON mapping>, "headers": {...}}
//   {"name", "ok": true, "responses": [...], "headers", "trailers"}  (a server stream)
//   {"name", "ok": false, "code": "PermissionDenied", "message": <the
//    error's raw message>, "metadata": {...}, "responses": [...]}
//                                                (a ConnectError; a stream's
//                                                messages before it)
//   {"name", "ok": false, "code": null, "message": <what was thrown>}
// Exit status 0 when every call was made (whatever its outcome), 2 on bad
// usage.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

import { fromJson, toJson } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";

const [stubs, baseUrl] = process.argv.slice(2);
if (!stubs || !baseUrl) {
  console.error("usage: connect_calls.mjs STUBS_DIR BASE_URL < calls.json");
  process.exit(2);
}
const calls = JSON.parse(readFileSync(0, "utf8"));

// One transport per identity, HTTP version and format, as a long-running
// client keeps one (its HTTP/2 session is reused across calls).
const transports = new Map();
function transport(call) {
  const key = JSON.stringify([call.ca, call.cert, call.key, call.httpVersion, call.binary]);
  if (!transports.has(key)) {
    transports.set(key, createConnectTransport({
      baseUrl,
      httpVersion: call.httpVersion,
      useBinaryFormat: call.binary,
      nodeOptions: {
        ca: readFileSync(call.ca),
        cert: readFileSync(call.cert),
        key: readFileSync(call.key),
      },
    }));
  }
  return transports.get(key);
}

async function make(call) {
  const module = await import(pathToFileURL(join(stubs, call.file)).href);
  const service = module[call.service];
  const method = service.method[call.method];
  if (!method) {
    throw new Error(`${service.typeName} has no method ${call.method}`);
  }
  const client = createClient(service, transport(call));
  const headers = {};
  const trailers = {};
  const options = {
    headers: call.headers ?? {},
    timeoutMs: call.timeoutMs,
    onHeader: (h) => h.forEach((value, name) => { headers[name] = value; }),
    onTrailer: (t) => t.forEach((value, name) => { trailers[name] = value; }),
  };
  const responses = [];  // a server stream's, as they came
  try {
    const request = fromJson(method.input, call.request);
    if (method.methodKind === "server_streaming") {
      for await (const response of client[call.method](request, options)) {
        responses.push(toJson(method.output, response));
      }
      return { name: call.name, ok: true, responses, headers, trailers };
    }
    const response = await client[call.method](request, options);
    return { name: call.name, ok: true, response: toJson(method.output, response), headers };
  } catch (error) {
    if (error instanceof ConnectError) {
      return {
        name: call.name, ok: false, code: Code[error.code], message: error.rawMessage,
        metadata: Object.fromEntries(error.metadata), responses,
      };
    }
    return { name: call.name, ok: false, code: null, message: String(error), responses };
  }
}

for (const call of calls) {
  console.log(JSON.stringify(await make(call)));
}
// HTTP/2 sessions and keep-alive sockets would hold the process open.
process.exit(0);
