// IHttpUpgradeFeature (ASP.NET Core's): a request that asks to switch protocols
// (Connection: upgrade and an Upgrade field, HTTP/1.1) can be answered with 101 and the
// connection handed to the app as a Duplex of raw bytes.
import type { Duplex } from 'node:stream';
import { featureKey } from '../feature-collection';
import type { Exchange } from '../exchange';

export interface IHttpUpgradeFeature {
  /** The request asked to upgrade, and nothing was sent for it yet. */
  readonly isUpgradableRequest: boolean;
  /**
   * Sends `101 Switching Protocols` with the response headers set so far (Upgrade,
   * Connection: Upgrade and the protocol's own) and returns the connection's raw bytes
   * both ways. The request is then over as far as HTTP goes.
   */
  upgrade(): Promise<Duplex>;
}
export const HttpUpgradeFeature = featureKey<IHttpUpgradeFeature>('HttpUpgradeFeature');

export class UpgradeFeature implements IHttpUpgradeFeature {
  constructor(private readonly ex: Exchange) {}

  get isUpgradableRequest(): boolean {
    return this.ex.upgradable;
  }
  upgrade(): Promise<Duplex> {
    return this.ex.upgrade();
  }
}
