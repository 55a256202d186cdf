/**
 * V8 settings for long-running request/response servers (container entrypoints).
 *
 * **Allocation-site pretenuring.** V8 tracks the objects created by each object or array literal;
 * when nearly all of one literal's objects are still alive at a young-generation GC (scavenge), it
 * decides they are long-lived and allocates them directly in the old generation from then on. A
 * server that receives a burst of concurrent requests while still cold (at start-up, or in a traffic
 * spike) has nearly every per-request object alive at such a scavenge, so V8 pretenures the literals
 * of its request path. From then on each request's objects are born old and die old, and the young
 * objects they point to survive scavenges through those dead old ones and are promoted too: the
 * old generation fills with garbage, and every scavenge copies and promotes it.
 *
 * Measured on the inference gateway under 64 concurrent connections (`bench/gateway.bench.ts`,
 * `node --trace-gc --trace-pretenuring`): 39 literals pretenured within the first seconds, then
 * scavenges of 10–17 ms promoting ~2.5 MB each (~10 KB per request), a full GC every ~1.3 s — and
 * those pauses land on every in-flight request (the p99). With pretenuring off: scavenges of 1–2.5 ms,
 * nothing promoted, as in a minimal Node.js proxy.
 *
 * Node.js accepts this flag only on the command line or through `v8.setFlagsFromString` (not in
 * `NODE_OPTIONS`); calling this first thing in an entrypoint keeps it with the code, whatever command
 * runs the image. It only stops future pretenuring decisions; V8 reads it at every scavenge.
 */
import { setFlagsFromString } from 'node:v8';

/** Turns off V8's allocation-site pretenuring for this process (see the module comment). */
export function disableAllocationSitePretenuring(): void {
  setFlagsFromString('--no-allocation-site-pretenuring');
}
