// A feature collection in the ASP.NET Core sense: typed keys to feature objects. The
// server's own features are made on first request (`defaults`); anything `set` by the
// app or a middleware takes precedence. A feature that does not apply is undefined.

/** A typed key for a feature. Compare by identity. */
export interface FeatureKey<T> {
  readonly name: string;
  /** @internal type carrier, never set */
  readonly __type?: T;
}

export function featureKey<T>(name: string): FeatureKey<T> {
  return Object.freeze({ name });
}

export type FeatureFactory = (key: FeatureKey<unknown>) => unknown;

/** @internal The server's defaults: an object rather than a closure, one allocation less per request. */
export interface FeatureSource {
  get(key: FeatureKey<unknown>): unknown;
}

export class FeatureCollection {
  private overrides: Map<FeatureKey<unknown>, unknown> | null = null;
  private revision = 0;

  constructor(private readonly defaults: FeatureFactory | FeatureSource | null = null) {}

  get<T>(key: FeatureKey<T>): T | undefined {
    if (this.overrides !== null && this.overrides.has(key)) {
      return this.overrides.get(key) as T | undefined;
    }
    const d = this.defaults;
    if (d === null) return undefined;
    return (typeof d === 'function' ? d(key) : d.get(key)) as T | undefined;
  }

  set<T>(key: FeatureKey<T>, feature: T | undefined): void {
    if (this.overrides === null) this.overrides = new Map();
    this.overrides.set(key, feature);
    this.revision++;
  }

  /** Increases whenever a feature is replaced; façades use it to refresh their caches. */
  get version(): number {
    return this.revision;
  }
}
