/**
 * Request validation: each body is checked against its TypeBox (JSON Schema)
 * schema before a handler sees it. A mismatch is a 400 naming the field
 * (`HostConfig.Binds[0]: expected string, got number`), as Docker's JSON
 * decoder refuses a wrong type; fields the schema does not name pass through
 * untouched, as Docker ignores unknown fields.
 */
import { type Static, type TSchema, Type } from "@sinclair/typebox";
import { type TypeCheck, TypeCompiler } from "@sinclair/typebox/compiler";
import { Value } from "@sinclair/typebox/value";
import { invalid } from "./errors.js";

/** `T | null`: Go's nil slices and maps arrive as null. */
export const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);

/** A list of strings that may be null. */
export const Strings = Nullable(Type.Array(Type.String()));

/** A string -> string map that may be null (labels, options, sysctls). */
export const StringMap = Nullable(Type.Record(Type.String(), Type.String()));

/**
 * Docker's strslice.StrSlice (Cmd, Entrypoint, Shell): a JSON array of
 * strings, or one string taken as a one-element array, or null.
 */
export const StrSlice = Type.Union([Type.Array(Type.String()), Type.String(), Type.Null()]);

/** Go's int64 in JSON: an integer within the range JavaScript holds exactly. */
export const Int = Type.Integer({ minimum: Number.MIN_SAFE_INTEGER, maximum: Number.MAX_SAFE_INTEGER });

/** Go's struct{} values in sets (ExposedPorts, Volumes): an object, or null. */
export const GoSet = Nullable(Type.Record(Type.String(), Nullable(Type.Object({}))));

const compiled = new WeakMap<TSchema, TypeCheck<TSchema>>();

function checker<T extends TSchema>(schema: T): TypeCheck<T> {
  let c = compiled.get(schema);
  if (!c) {
    c = TypeCompiler.Compile(schema);
    compiled.set(schema, c);
  }
  return c as TypeCheck<T>;
}

/** The JSON type of a value, in the words of the messages. */
function jsonType(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  if (typeof v === "number" && Number.isInteger(v)) return "integer";
  return typeof v;
}

/** The branches of a union, nested unions flattened (`Nullable(StrSlice)` names null once). */
function branches(s: TSchema): TSchema[] {
  return s.anyOf ? (s.anyOf as TSchema[]).flatMap(branches) : [s];
}

/** What a schema wants, in words ("string", "array of string or null", ...). */
export function describe(s: TSchema): string {
  if (s.anyOf) return [...new Set(branches(s).map(describe))].join(" or ");
  if (s.const !== undefined) return JSON.stringify(s.const);
  switch (s.type) {
    case "array":
      return `array of ${describe(s.items as TSchema)}`;
    case "object":
      return s.patternProperties
        ? `object of ${describe(Object.values(s.patternProperties)[0] as TSchema)}`
        : "object";
    case "integer":
      if (s.minimum !== undefined && s.minimum > Number.MIN_SAFE_INTEGER) {
        return `integer from ${s.minimum} to ${s.maximum ?? "∞"}`;
      }
      return "integer";
    case "string":
      return s.pattern ? `string matching ${s.pattern}` : "string";
    default:
      return String(s.type ?? "value");
  }
}

/** `/HostConfig/Binds/0` -> `HostConfig.Binds[0]`. */
function fieldName(pointer: string): string {
  let out = "";
  for (const part of pointer.split("/").slice(1)) {
    const p = part.replace(/~1/g, "/").replace(/~0/g, "~");
    out += /^\d+$/.test(p) ? `[${p}]` : out ? `.${p}` : p;
  }
  return out;
}

/**
 * Checks `value` against `schema` and returns it typed; throws
 * InvalidParameter (400) naming the first field that does not match.
 * `what` names the document in the message ("container config").
 */
export function check<T extends TSchema>(schema: T, value: unknown, what: string): Static<T> {
  goNulls(schema, value);
  const problem = mismatch(schema, value);
  if (problem !== undefined) throw invalid(`invalid ${what}: ${problem}`);
  return value as Static<T>;
}

/**
 * Why `value` does not match `schema` (`Labels.a: expected string, got
 * integer`), or undefined when it matches.
 */
export function mismatch(schema: TSchema, value: unknown): string | undefined {
  const c = checker(schema);
  if (c.Check(value)) return undefined;
  const first = firstError(schema, value, "", c);
  if (!first) return "does not match";
  const field = fieldName(first.path);
  if (first.value === undefined) return field ? `${field} is required` : "a JSON object is required";
  const want = describe(first.schema);
  const got = jsonType(first.value);
  const detail = want.startsWith(got) ? want : `${want}, got ${got}`;
  return `${field || "body"}: expected ${detail}`;
}

/** Whether a union branch is the one meant for a value of this JSON type. */
function branchFor(branch: TSchema, v: unknown): boolean {
  const t = jsonType(v);
  return branch.type === t || (branch.type === "number" && t === "integer");
}

/**
 * The deepest first error: a failed union (`T | null`) whose value has one
 * branch's JSON type is explained by that branch's own first error, so the
 * message names `HostConfig.Binds[0]`, not `HostConfig`.
 */
function firstError(
  schema: TSchema,
  value: unknown,
  base: string,
  compiled?: TypeCheck<TSchema>,
): { path: string; schema: TSchema; value: unknown } | undefined {
  const e = (compiled ? compiled.Errors(value) : Value.Errors(schema, value)).First();
  if (!e) return undefined;
  const branch = e.schema.anyOf
    ? (e.schema.anyOf as TSchema[]).find((b) => branchFor(b, e.value))
    : undefined;
  if (branch) {
    const inner = firstError(branch, e.value, base + e.path);
    if (inner) return inner;
  }
  return { path: base + e.path, schema: e.schema, value: e.value };
}

/** The object branch of a schema (itself, or the object member of a `T | null` union). */
function objectBranch(s: TSchema): TSchema | undefined {
  if (s.type === "object") return s;
  return (s.anyOf as TSchema[] | undefined)?.find((b) => b.type === "object");
}

/**
 * Go's JSON decoder takes null for any field as its zero value: a struct field that is null
 * is as if it were absent (docker-compose sends `"Timeout": null` in a Healthcheck), and a
 * null value in a map of strings is "". `value` (freshly parsed JSON) is rewritten in place
 * to that meaning before it is checked; nulls inside arrays are left for the check to judge.
 */
export function goNulls(schema: TSchema, value: unknown): void {
  if (value === null || typeof value !== "object") return;
  if (Array.isArray(value)) {
    const items = (
      schema.type === "array"
        ? schema
        : (schema.anyOf as TSchema[] | undefined)?.find((b) => b.type === "array")
    )?.items as TSchema | undefined;
    if (items) for (const v of value) goNulls(items, v);
    return;
  }
  const obj = objectBranch(schema);
  if (!obj) return;
  const o = value as Record<string, unknown>;
  const props = (obj.properties ?? {}) as Record<string, TSchema>;
  const values = obj.patternProperties ? (Object.values(obj.patternProperties)[0] as TSchema) : undefined;
  for (const [k, v] of Object.entries(o)) {
    const sub = props[k] ?? values;
    if (v === null) {
      if (props[k] || !values) delete o[k];
      else if (values.type === "string") o[k] = "";
    } else if (sub) goNulls(sub, v);
  }
}

/** True when `value` matches `schema` (records read back from disk). */
export function matches(schema: TSchema, value: unknown): boolean {
  return checker(schema).Check(value);
}

/** StrSlice -> string[] | null (a single string is a one-element list). */
export function strSlice(v: string | string[] | null | undefined): string[] | null | undefined {
  return typeof v === "string" ? [v] : v;
}
