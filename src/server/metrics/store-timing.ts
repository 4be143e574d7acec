import type { Store } from '../store/index.js';

/** Hears one store call: its method's name, how long it took and whether it failed. */
export type StoreCallObserver = (operation: string, seconds: number, failed: boolean) => void;

/**
 * The store with every asynchronous call timed: each method call is passed through to `store`
 * unchanged (on `store` itself, so its private state stays reachable) and, when it settles, told to
 * `observe` by the method's name. Names come from the Store interface only, never from a request,
 * so the metric's label values are bounded by it.
 *
 * @example
 * const store = timedStore(openSqliteStore(file), (op, s, failed) => histogram.observe({ operation: op }, s));
 */
export function timedStore(store: Store, observe: StoreCallObserver): Store {
  const wrapped = new Map<PropertyKey, unknown>();
  return new Proxy(store, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== 'function' || typeof property !== 'string') return value;
      let fn = wrapped.get(property);
      if (!fn) {
        const method = value as (...args: unknown[]) => unknown;
        fn = (...args: unknown[]) => {
          const started = performance.now();
          const result = method.apply(target, args);
          if (!(result instanceof Promise)) return result;
          const done = (failed: boolean) => observe(property, (performance.now() - started) / 1000, failed);
          result.then(
            () => done(false),
            () => done(true),
          );
          return result;
        };
        wrapped.set(property, fn);
      }
      return fn;
    },
  });
}
