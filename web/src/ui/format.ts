// How times, sizes and states read on the page (local time zone, the browser's locale).

export function formatTime(seconds: number): string {
  return new Date(seconds * 1000).toLocaleTimeString(undefined, { hour: 'numeric', minute: '2-digit' });
}

export function dayKey(seconds: number): string {
  const d = new Date(seconds * 1000);
  return `${d.getFullYear()}-${d.getMonth() + 1}-${d.getDate()}`;
}

export function formatDay(seconds: number, now = Date.now()): string {
  const d = new Date(seconds * 1000);
  const today = new Date(now);
  const yesterday = new Date(now - 24 * 3600 * 1000);
  if (dayKey(seconds) === dayKey(today.getTime() / 1000)) return 'Today';
  if (dayKey(seconds) === dayKey(yesterday.getTime() / 1000)) return 'Yesterday';
  const sameYear = d.getFullYear() === today.getFullYear();
  return d.toLocaleDateString(undefined, { weekday: 'short', day: 'numeric', month: 'short', ...(sameYear ? {} : { year: 'numeric' }) });
}

/** A short time for the conversation list: the time today, else the day. */
export function formatWhen(seconds: number, now = Date.now()): string {
  if (!seconds) return '';
  if (dayKey(seconds) === dayKey(now / 1000)) return formatTime(seconds);
  return formatDay(seconds, now);
}

export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB'];
  let v = bytes / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[u]}`;
}

export const STATUS_LABELS: Record<string, string> = {
  online: 'Online',
  away: 'Away',
  busy: 'Busy',
  offline: 'Offline',
};
