/**
 * The shape a container record read back from disk must have before berthd
 * serves it: the fields `docker ps` and `inspect` clients decode with Go's
 * strict JSON types (a label value that is a number breaks `docker ps -a`
 * for everyone). A record that does not fit is reported and skipped.
 */
import { Type } from "@sinclair/typebox";
import { GoSet, Int, mismatch, Nullable, StringMap, Strings } from "../../util/schema.js";

const Str = Type.String();

/** The persisted ContainerRecord, as far as clients see it. */
export const ContainerRecordSchema = Type.Object({
  id: Type.String({ pattern: "^[a-f0-9]{64}$" }),
  name: Str,
  created: Str,
  image: Str,
  imageName: Str,
  path: Str,
  args: Type.Array(Str),
  config: Type.Object({
    Labels: Type.Optional(StringMap),
    Env: Type.Optional(Strings),
    Cmd: Type.Optional(Strings),
    Entrypoint: Type.Optional(Strings),
    ExposedPorts: Type.Optional(GoSet),
    Volumes: Type.Optional(GoSet),
    Hostname: Type.Optional(Str),
    User: Type.Optional(Str),
    WorkingDir: Type.Optional(Str),
  }),
  hostConfig: Type.Object({
    Binds: Type.Optional(Strings),
    PortBindings: Type.Optional(Nullable(Type.Record(Str, Type.Unknown()))),
    NetworkMode: Type.Optional(Str),
    Memory: Type.Optional(Int),
  }),
  networking: Type.Record(Str, Type.Object({})),
  state: Type.Object({ Status: Str, Pid: Int, ExitCode: Int }),
  mounts: Type.Array(Type.Object({ Destination: Str, Source: Str })),
  ports: Type.Record(Str, Type.Unknown()),
});

/** Why a record read from disk cannot be served to clients, or undefined when it can. */
export function recordProblem(rec: unknown): string | undefined {
  return mismatch(ContainerRecordSchema, rec);
}
