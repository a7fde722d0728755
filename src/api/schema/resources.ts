/**
 * Schemas of the request bodies of volumes, networks, exec and auth
 * (Engine API v1.41: VolumeCreateOptions, NetworkCreateRequest,
 * NetworkConnectRequest, ExecConfig, ExecStartConfig, AuthConfig).
 */
import { type Static, Type } from "@sinclair/typebox";
import { Nullable, StringMap, Strings } from "../../util/schema.js";
import { EndpointSettingsSchema } from "./containers.js";

const Str = Type.String();
const Bool = Type.Boolean();

/** POST /volumes/create (definitions VolumeCreateOptions). */
export const VolumeCreateSchema = Type.Object({
  Name: Type.Optional(Str),
  Driver: Type.Optional(Str),
  DriverOpts: Type.Optional(StringMap),
  Labels: Type.Optional(StringMap),
});

/** POST /volumes/create's body, as the berth CLI builds it. */
export type VolumeCreateBody = Static<typeof VolumeCreateSchema>;

const IPAMConfig = Type.Object({
  Subnet: Type.Optional(Str),
  IPRange: Type.Optional(Str),
  Gateway: Type.Optional(Str),
  AuxiliaryAddresses: Type.Optional(StringMap),
});

/** POST /networks/create. */
export const NetworkCreateSchema = Type.Object({
  Name: Str,
  CheckDuplicate: Type.Optional(Bool),
  Driver: Type.Optional(Str),
  Internal: Type.Optional(Bool),
  Attachable: Type.Optional(Bool),
  Ingress: Type.Optional(Bool),
  IPAM: Type.Optional(
    Nullable(
      Type.Object({
        Driver: Type.Optional(Str),
        Config: Type.Optional(Nullable(Type.Array(IPAMConfig))),
        Options: Type.Optional(StringMap),
      }),
    ),
  ),
  EnableIPv6: Type.Optional(Bool),
  Options: Type.Optional(StringMap),
  Labels: Type.Optional(StringMap),
  // Sent by docker CLI 20+ (API 1.40+ swarm fields); berth only checks their types.
  Scope: Type.Optional(Str),
  ConfigOnly: Type.Optional(Bool),
});

/** POST /networks/create's body, as the berth CLI builds it. */
export type NetworkCreateBody = Static<typeof NetworkCreateSchema>;

/** POST /networks/{id}/connect. */
export const NetworkConnectSchema = Type.Object({
  Container: Str,
  EndpointConfig: Type.Optional(Nullable(EndpointSettingsSchema)),
});

/** POST /networks/{id}/disconnect. */
export const NetworkDisconnectSchema = Type.Object({
  Container: Str,
  Force: Type.Optional(Bool),
});

/** POST /containers/{id}/exec (definitions ExecConfig). */
export const ExecCreateSchema = Type.Object({
  AttachStdin: Type.Optional(Bool),
  AttachStdout: Type.Optional(Bool),
  AttachStderr: Type.Optional(Bool),
  ConsoleSize: Type.Optional(Nullable(Type.Array(Type.Integer({ minimum: 0 }), { maxItems: 2 }))),
  DetachKeys: Type.Optional(Str),
  Tty: Type.Optional(Bool),
  Env: Type.Optional(Strings),
  Cmd: Type.Optional(Strings),
  Privileged: Type.Optional(Bool),
  User: Type.Optional(Str),
  WorkingDir: Type.Optional(Str),
});

/** POST /exec/{id}/start. */
export const ExecStartSchema = Type.Object({
  Detach: Type.Optional(Bool),
  Tty: Type.Optional(Bool),
  ConsoleSize: Type.Optional(Nullable(Type.Array(Type.Integer({ minimum: 0 }), { maxItems: 2 }))),
});

/** POST /auth (definitions AuthConfig). */
export const AuthSchema = Type.Object({
  username: Type.Optional(Str),
  password: Type.Optional(Str),
  email: Type.Optional(Str),
  serveraddress: Type.Optional(Str),
  identitytoken: Type.Optional(Str),
  registrytoken: Type.Optional(Str),
});
