/**
 * The registry of hosted pages: browser-facing HTML outside the API (no API key), each under its own
 * path prefix. A new hosted page (checkout, a redirect approval) is a new entry here.
 */
import type { EmulatorContext } from '../context';
import type { Params } from '../params';
import { SETUP_INTENT_APPROVAL_PREFIX } from '../resources/setup-intents';
import { handleCheckoutPage } from './checkout';
import type { PageResponse } from './html';
import { handlePortalPage } from './portal';
import { handleRedirectApprovalPage } from './redirect-approval';

export interface HostedPage {
  /** e.g. '/p/': every path under it is this page's. */
  prefix: string;
  handle(context: EmulatorContext, method: string, url: URL, form: Params): PageResponse;
}

export const PAGES: readonly HostedPage[] = [
  { prefix: '/p/', handle: handlePortalPage },
  { prefix: '/c/', handle: handleCheckoutPage },
  { prefix: SETUP_INTENT_APPROVAL_PREFIX, handle: handleRedirectApprovalPage },
];
