import { createRequire } from 'node:module';
import type { History } from '@temporalio/common/lib/proto-utils';
// Default import: @temporalio/proto is CommonJS without static named exports (tsx/Node ESM).
import proto from '@temporalio/proto';
import { patchProtobufRoot } from '@temporalio/proto/lib/patch-protobuf-root';

// Workflow histories as the standard proto3 JSON (what `temporal workflow show --output json`
// and the Web UI download produce, and what @temporalio/common's historyToJSON writes).
//
// Why not historyToJSON / historyFromJSON from @temporalio/common/lib/proto-utils directly:
// in this install they throw "TypeError: type must be a Type". npm keeps protobufjs 7 at the
// root (for @grpc/proto-loader) and gives @temporalio/proto, /common and /worker each their own
// copy of protobufjs 8; protojson's `instanceof Type` check in @temporalio/common's copy fails
// for the Types built by @temporalio/proto's copy. Worker.runReplayHistory passes JSON
// histories (string event ids) through the same historyFromJSON, so we hand it a decoded
// History instead. Here protojson is loaded from @temporalio/proto's own location, i.e. the
// same protobufjs instance as its Types, whatever the layout.

interface ProtoJson {
  toJson(type: unknown, message: unknown): unknown;
  fromJson(type: unknown, json: unknown, options?: { ignoreUnknownFields?: boolean }): unknown;
}

const requireHere = createRequire(import.meta.url);
const requireFromProto = createRequire(requireHere.resolve('@temporalio/proto'));
const protojson = requireFromProto('protobufjs/ext/protojson') as ProtoJson;
const root = patchProtobufRoot(proto) as unknown as { lookupType(name: string): unknown };
const historyType = root.lookupType('temporal.api.history.v1.History');

/** proto3 JSON text of a history (e.g. from `handle.fetchHistory()`), two-space indented. */
export function historyToJSONText(history: History): string {
  const message = proto.temporal.api.history.v1.History.fromObject(history);
  return `${JSON.stringify(protojson.toJson(historyType, message), null, 2)}\n`;
}

/** A History from proto3 JSON text (unknown fields from newer servers are ignored). */
export function historyFromJSONText(text: string): History {
  const json = JSON.parse(text) as { events?: unknown };
  if (!json || !Array.isArray(json.events) || json.events.length === 0)
    throw new TypeError('not a workflow history: no events');
  return protojson.fromJson(historyType, json, { ignoreUnknownFields: true }) as History;
}
