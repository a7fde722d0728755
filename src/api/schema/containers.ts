/**
 * Schemas of the /containers request bodies (Engine API v1.41 definitions
 * ContainerConfig, HostConfig, Resources, NetworkingConfig, Mount), with
 * the types of Docker's Go structs: a string where Go has a string, an
 * integer where it has an int64, a list or map that may be null.
 */
import { type Static, Type } from "@sinclair/typebox";
import type { CreateRequest, HostConfig } from "../../engine/containers/types.js";
import { check, GoSet, Int, Nullable, StringMap, Strings, StrSlice, strSlice } from "../../util/schema.js";

const Str = Type.String();
const Bool = Type.Boolean();
const NBool = Nullable(Bool);

const ThrottleDevice = Type.Object({ Path: Str, Rate: Type.Integer({ minimum: 0 }) });
const Throttles = Nullable(Type.Array(ThrottleDevice));

/** Resources: what create sets and update changes (definitions/Resources). */
export const ResourcesSchema = Type.Object({
  CpuShares: Type.Optional(Int),
  Memory: Type.Optional(Int),
  CgroupParent: Type.Optional(Str),
  BlkioWeight: Type.Optional(Type.Integer({ minimum: 0, maximum: 1000 })),
  BlkioWeightDevice: Type.Optional(
    Nullable(Type.Array(Type.Object({ Path: Str, Weight: Type.Integer({ minimum: 0, maximum: 1000 }) }))),
  ),
  BlkioDeviceReadBps: Type.Optional(Throttles),
  BlkioDeviceWriteBps: Type.Optional(Throttles),
  BlkioDeviceReadIOps: Type.Optional(Throttles),
  BlkioDeviceWriteIOps: Type.Optional(Throttles),
  CpuPeriod: Type.Optional(Int),
  CpuQuota: Type.Optional(Int),
  CpuRealtimePeriod: Type.Optional(Int),
  CpuRealtimeRuntime: Type.Optional(Int),
  CpusetCpus: Type.Optional(Str),
  CpusetMems: Type.Optional(Str),
  Devices: Type.Optional(
    Nullable(
      Type.Array(
        Type.Object({
          PathOnHost: Type.Optional(Str),
          PathInContainer: Type.Optional(Str),
          CgroupPermissions: Type.Optional(Str),
        }),
      ),
    ),
  ),
  DeviceCgroupRules: Type.Optional(Strings),
  DeviceRequests: Type.Optional(Nullable(Type.Array(Type.Object({})))),
  KernelMemory: Type.Optional(Int),
  KernelMemoryTCP: Type.Optional(Int),
  MemoryReservation: Type.Optional(Int),
  MemorySwap: Type.Optional(Int),
  MemorySwappiness: Type.Optional(Nullable(Int)),
  NanoCpus: Type.Optional(Int),
  OomKillDisable: Type.Optional(NBool),
  Init: Type.Optional(NBool),
  PidsLimit: Type.Optional(Nullable(Int)),
  Ulimits: Type.Optional(Nullable(Type.Array(Type.Object({ Name: Str, Soft: Int, Hard: Int })))),
  CpuCount: Type.Optional(Int),
  CpuPercent: Type.Optional(Int),
  IOMaximumIOps: Type.Optional(Int),
  IOMaximumBandwidth: Type.Optional(Int),
});

const RestartPolicy = Type.Object({
  Name: Type.Optional(Str),
  MaximumRetryCount: Type.Optional(Int),
});

const PortBinding = Type.Object({ HostIp: Type.Optional(Str), HostPort: Type.Optional(Str) });

const MountSchema = Type.Object({
  Target: Type.Optional(Str),
  Source: Type.Optional(Str),
  // Any string: the engine answers an unknown type with Docker's "mount type unknown".
  Type: Type.Optional(Str),
  ReadOnly: Type.Optional(Bool),
  Consistency: Type.Optional(Str),
  BindOptions: Type.Optional(
    Nullable(Type.Object({ Propagation: Type.Optional(Str), NonRecursive: Type.Optional(Bool) })),
  ),
  VolumeOptions: Type.Optional(
    Nullable(
      Type.Object({
        NoCopy: Type.Optional(Bool),
        Labels: Type.Optional(StringMap),
        DriverConfig: Type.Optional(
          Nullable(Type.Object({ Name: Type.Optional(Str), Options: Type.Optional(StringMap) })),
        ),
      }),
    ),
  ),
  TmpfsOptions: Type.Optional(
    Nullable(Type.Object({ SizeBytes: Type.Optional(Int), Mode: Type.Optional(Int) })),
  ),
});

/** definitions/HostConfig. */
export const HostConfigSchema = Type.Composite([
  ResourcesSchema,
  Type.Object({
    Binds: Type.Optional(Strings),
    ContainerIDFile: Type.Optional(Str),
    LogConfig: Type.Optional(
      Nullable(Type.Object({ Type: Type.Optional(Str), Config: Type.Optional(StringMap) })),
    ),
    NetworkMode: Type.Optional(Str),
    PortBindings: Type.Optional(Nullable(Type.Record(Str, Nullable(Type.Array(PortBinding))))),
    RestartPolicy: Type.Optional(Nullable(RestartPolicy)),
    AutoRemove: Type.Optional(Bool),
    VolumeDriver: Type.Optional(Str),
    VolumesFrom: Type.Optional(Strings),
    Mounts: Type.Optional(Nullable(Type.Array(MountSchema))),
    CapAdd: Type.Optional(Strings),
    CapDrop: Type.Optional(Strings),
    CgroupnsMode: Type.Optional(Str),
    Dns: Type.Optional(Strings),
    DnsOptions: Type.Optional(Strings),
    DnsSearch: Type.Optional(Strings),
    ExtraHosts: Type.Optional(Strings),
    GroupAdd: Type.Optional(Strings),
    IpcMode: Type.Optional(Str),
    Cgroup: Type.Optional(Str),
    Links: Type.Optional(Strings),
    // The range is checked with Docker's words (engine/containers/resources.ts).
    OomScoreAdj: Type.Optional(Type.Integer()),
    PidMode: Type.Optional(Str),
    Privileged: Type.Optional(Bool),
    PublishAllPorts: Type.Optional(Bool),
    ReadonlyRootfs: Type.Optional(Bool),
    SecurityOpt: Type.Optional(Strings),
    StorageOpt: Type.Optional(StringMap),
    Tmpfs: Type.Optional(StringMap),
    UTSMode: Type.Optional(Str),
    UsernsMode: Type.Optional(Str),
    ShmSize: Type.Optional(Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER })),
    Sysctls: Type.Optional(StringMap),
    Runtime: Type.Optional(Str),
    ConsoleSize: Type.Optional(Nullable(Type.Array(Type.Integer({ minimum: 0 }), { maxItems: 2 }))),
    Isolation: Type.Optional(Str),
    MaskedPaths: Type.Optional(Strings),
    ReadonlyPaths: Type.Optional(Strings),
  }),
]);

const HealthConfig = Type.Object({
  Test: Type.Optional(Strings),
  Interval: Type.Optional(Int),
  Timeout: Type.Optional(Int),
  Retries: Type.Optional(Int),
  StartPeriod: Type.Optional(Int),
});

/** definitions/ContainerConfig (also the body of POST /commit). */
export const ContainerConfigSchema = Type.Object({
  Hostname: Type.Optional(Str),
  Domainname: Type.Optional(Str),
  User: Type.Optional(Str),
  AttachStdin: Type.Optional(Bool),
  AttachStdout: Type.Optional(Bool),
  AttachStderr: Type.Optional(Bool),
  ExposedPorts: Type.Optional(GoSet),
  Tty: Type.Optional(Bool),
  OpenStdin: Type.Optional(Bool),
  StdinOnce: Type.Optional(Bool),
  Env: Type.Optional(Strings),
  Cmd: Type.Optional(StrSlice),
  Healthcheck: Type.Optional(Nullable(HealthConfig)),
  ArgsEscaped: Type.Optional(NBool),
  Image: Type.Optional(Str),
  Volumes: Type.Optional(GoSet),
  WorkingDir: Type.Optional(Str),
  Entrypoint: Type.Optional(StrSlice),
  NetworkDisabled: Type.Optional(NBool),
  MacAddress: Type.Optional(Str),
  OnBuild: Type.Optional(Strings),
  Labels: Type.Optional(StringMap),
  StopSignal: Type.Optional(Str),
  StopTimeout: Type.Optional(Nullable(Int)),
  Shell: Type.Optional(StrSlice),
});

const EndpointSettings = Type.Object({
  IPAMConfig: Type.Optional(
    Nullable(
      Type.Object({
        IPv4Address: Type.Optional(Str),
        IPv6Address: Type.Optional(Str),
        LinkLocalIPs: Type.Optional(Strings),
      }),
    ),
  ),
  Links: Type.Optional(Strings),
  Aliases: Type.Optional(Strings),
  NetworkID: Type.Optional(Str),
  EndpointID: Type.Optional(Str),
  Gateway: Type.Optional(Str),
  IPAddress: Type.Optional(Str),
  IPPrefixLen: Type.Optional(Int),
  IPv6Gateway: Type.Optional(Str),
  GlobalIPv6Address: Type.Optional(Str),
  GlobalIPv6PrefixLen: Type.Optional(Int),
  MacAddress: Type.Optional(Str),
  DriverOpts: Type.Optional(StringMap),
});

/** definitions/EndpointSettings (also POST /networks/{id}/connect's EndpointConfig). */
export const EndpointSettingsSchema = EndpointSettings;

/** POST /containers/create: ContainerConfig + HostConfig + NetworkingConfig. */
export const CreateSchema = Type.Composite([
  ContainerConfigSchema,
  Type.Object({
    HostConfig: Type.Optional(Nullable(HostConfigSchema)),
    NetworkingConfig: Type.Optional(
      Nullable(Type.Object({ EndpointsConfig: Type.Optional(Nullable(Type.Record(Str, EndpointSettings))) })),
    ),
  }),
]);

/** POST /containers/{id}/update: Resources + RestartPolicy. */
export const UpdateSchema = Type.Composite([
  ResourcesSchema,
  Type.Object({ RestartPolicy: Type.Optional(Nullable(RestartPolicy)) }),
]);

/** POST /containers/create's body as the berth CLI builds it and the daemon checks it. */
export type CreateBody = Static<typeof CreateSchema>;
/** definitions/ContainerConfig. */
export type ContainerConfigBody = Static<typeof ContainerConfigSchema>;
/** definitions/HostConfig. */
export type HostConfigBody = Static<typeof HostConfigSchema>;
/** POST /containers/{id}/update's body. */
export type UpdateBody = Static<typeof UpdateSchema>;

/** Checks a create body and normalizes Docker's loose forms (a string Cmd, null maps). */
export function parseCreate(body: unknown): CreateRequest {
  const b = check(CreateSchema, body, "container config");
  const out = defined({
    ...b,
    Cmd: strSlice(b.Cmd),
    Entrypoint: strSlice(b.Entrypoint),
    Shell: strSlice(b.Shell),
    HostConfig: (b.HostConfig ?? undefined) as HostConfig | undefined,
    NetworkingConfig: b.NetworkingConfig
      ? { EndpointsConfig: b.NetworkingConfig.EndpointsConfig ?? undefined }
      : undefined,
    Healthcheck: b.Healthcheck ?? undefined,
  });
  return out as CreateRequest;
}

/** Checks a container config given to commit (`Cmd: {"a":1}` is refused, not stored). */
export function parseContainerConfig(body: unknown): CreateRequest {
  const b = check(ContainerConfigSchema, body, "container config");
  return defined({
    ...b,
    Cmd: strSlice(b.Cmd),
    Entrypoint: strSlice(b.Entrypoint),
    Shell: strSlice(b.Shell),
    Healthcheck: b.Healthcheck ?? undefined,
  }) as CreateRequest;
}

/**
 * The object without its undefined fields: a field the client did not send
 * must stay absent (commit overlays only what was given).
 */
function defined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
