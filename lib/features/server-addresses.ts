// IServerAddressesFeature: the addresses the server is bound to, with the real port
// after listening on port 0. A server-level feature (server.features).
import { featureKey } from '../feature-collection';

export interface IServerAddressesFeature {
  readonly addresses: readonly string[];
}
export const ServerAddressesFeature = featureKey<IServerAddressesFeature>('ServerAddressesFeature');

export class ServerAddresses implements IServerAddressesFeature {
  readonly addresses: string[] = [];
}
