/**
 * Pause lengths: calendar arithmetic on a role's pause settings (config.ts `RolePauseSchema`), shared
 * by the configuration rules, the portal configurations and the app's pause endpoint.
 */
import type { PauseDuration, RolePause } from './config';

/** `unixSeconds` plus a duration, in UTC calendar terms (a month from 31 January is 3 March, as Date counts it). */
export function addDuration(unixSeconds: number, { interval, count }: PauseDuration): number {
  const date = new Date(unixSeconds * 1000);
  switch (interval) {
    case 'day':
      date.setUTCDate(date.getUTCDate() + count);
      break;
    case 'week':
      date.setUTCDate(date.getUTCDate() + 7 * count);
      break;
    case 'month':
      date.setUTCMonth(date.getUTCMonth() + count);
      break;
    case 'year':
      date.setUTCFullYear(date.getUTCFullYear() + count);
      break;
  }
  return Math.floor(date.getTime() / 1000);
}

/** Whether `duration` is no longer than `max`, measured from one fixed date (so the answer never depends on today). */
export function durationWithin(duration: PauseDuration, max: PauseDuration): boolean {
  const from = Date.UTC(2001, 0, 1) / 1000;
  return addDuration(from, duration) <= addDuration(from, max);
}

/** The lengths the portal offers a role: the configured ones, else the maximum alone. */
export function portalPauseDurations(pause: RolePause): PauseDuration[] {
  return pause.portalDurations ?? [pause.maxDuration];
}

export const describeDuration = ({ interval, count }: PauseDuration) => `${count} ${interval}${count === 1 ? '' : 's'}`;
