import type { EaselApi } from '../../../shared/ipc/contract';
import { getEasel } from '../../bridge/easel';
import { messageOf } from '../util/errors';

/** main's bridge: Electron's preload, or the browser-mode client. */
export function resolveApi(): { api: EaselApi } | { error: string } {
  try {
    return { api: getEasel() };
  } catch (error) {
    return { error: messageOf(error) };
  }
}
