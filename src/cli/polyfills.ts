/**
 * aws-local-stepfunctions 3 calls Promise.withResolvers (Node 22+). The CLI
 * also runs on Node 20, so provide the standard behaviour when it is missing.
 * Only the CLI loads this; Lambda code never needs it.
 */
type Resolvers<T> = { promise: Promise<T>; resolve: (v: T | PromiseLike<T>) => void; reject: (e?: unknown) => void };

export function installPolyfills(target: PromiseConstructor = Promise): void {
  const p = target as PromiseConstructor & { withResolvers?: <T>() => Resolvers<T> };
  if (typeof p.withResolvers === 'function') return;
  Object.defineProperty(p, 'withResolvers', {
    configurable: true,
    writable: true,
    value<T>(): Resolvers<T> {
      let resolve!: Resolvers<T>['resolve'];
      let reject!: Resolvers<T>['reject'];
      const promise = new target<T>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      return { promise, resolve, reject };
    },
  });
}

installPolyfills();
