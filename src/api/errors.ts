/** The one place where typed errors become HTTP statuses. */
import { BerthError } from "../util/errors.js";

export function statusOf(err: unknown): number {
  if (err instanceof BerthError) {
    switch (err.kind) {
      case "NotFound":
        return 404;
      case "Conflict":
        return 409;
      case "InvalidParameter":
        return 400;
      case "Forbidden":
        return 403;
      case "NotModified":
        return 304;
      case "Unavailable":
        return 503;
      case "Unauthorized":
        return 401;
      case "NotImplemented":
        return 501;
      case "TooLarge":
        return 413;
    }
  }
  // A path from the client longer than the kernel takes is the client's error (docker cp, archive).
  if ((err as NodeJS.ErrnoException | undefined)?.code === "ENAMETOOLONG") return 400;
  return 500;
}
