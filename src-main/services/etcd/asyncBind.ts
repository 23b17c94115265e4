/**
 * Keeps Node 20's HTTP/2 client from promoting every request to V8's old generation.
 *
 * Why: `ClientHttp2Session.request()` wraps each request's start in `AsyncResource#bind`, and on
 * Node 20 `bind` gives the bound function a deprecated `asyncResource` accessor (DEP0172) whose
 * getter and setter are made by `util.deprecate`, which sets the wrapped function as the wrapper's
 * prototype. With those wrappers, each request's closures, the stream they start and everything
 * the call reaches survive minor collections until they are promoted, then wait for a full one.
 * (Our reading of why: a per-request closure made a prototype is registered in V8's prototype
 * bookkeeping, which outlives the request. What was measured is the effect of removing them.)
 * On a plain Node HTTP/2 client, 20,000 sequential calls: 2.6 KB promoted per request and 3.4 ms
 * scavenges; through `@grpc/grpc-js`, 8 KB and 5 ms (the app's EtcdClient: a 5–7 ms pause every
 * ~115 ms at one call in flight). With the lean `bind` below: 29 B and 115 B per request,
 * scavenges of 0.3–0.5 ms (docs/member.md, "Node 20's HTTP/2 client kept every call").
 *
 * The fix: when this Node's `bind` adds that accessor, `AsyncResource.prototype.bind` is replaced by
 * one that behaves the same for callers (the bound function runs `fn` in the resource's async scope
 * with the same `this` and arguments, and has `fn`'s length) and exposes `asyncResource` as a plain
 * property, without the deprecation wrappers. Where `bind` does not add the accessor (a Node that
 * dropped it), nothing is replaced.
 */
import { AsyncResource } from 'node:async_hooks'

let installed = false

type AnyFunction = (...args: unknown[]) => unknown

/** What Node's bind does for callers, without the deprecated accessor's wrappers. */
function leanBind(resource: AsyncResource, fn: AnyFunction, thisArg: unknown): AnyFunction {
  if (typeof fn !== 'function') throw new TypeError('The "fn" argument must be of type function')
  const bound =
    thisArg === undefined
      ? function (this: unknown, ...args: unknown[]) {
          return resource.runInAsyncScope(fn, this, ...args)
        }
      : function (...args: unknown[]) {
          return resource.runInAsyncScope(fn, thisArg, ...args)
        }
  Object.defineProperty(bound, 'length', { configurable: true, enumerable: false, writable: false, value: fn.length })
  // Still there for anyone who reads it, as a plain property.
  Object.defineProperty(bound, 'asyncResource', { configurable: true, enumerable: true, writable: true, value: resource })
  return bound
}

/** Whether this Node's AsyncResource#bind gives bound functions the deprecated accessor. */
export function bindAddsDeprecatedAccessor(): boolean {
  const bound = new AsyncResource('raftdeck.probe').bind(() => undefined)
  return typeof Object.getOwnPropertyDescriptor(bound, 'asyncResource')?.get === 'function'
}

/**
 * Replaces AsyncResource#bind with the lean version where Node's adds the deprecated accessor.
 * Idempotent; returns whether the lean version is in place.
 */
export function installLeanAsyncBind(): boolean {
  if (installed) return true
  if (!bindAddsDeprecatedAccessor()) return false
  Object.defineProperty(AsyncResource.prototype, 'bind', {
    configurable: true,
    enumerable: false,
    writable: true,
    value: function bind(this: AsyncResource, fn: AnyFunction, thisArg?: unknown): AnyFunction {
      return leanBind(this, fn, thisArg)
    },
  })
  installed = true
  return true
}
