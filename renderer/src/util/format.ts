const numberFmt = new Intl.NumberFormat('en-US');
const dateFmt = new Intl.DateTimeFormat('en-US', { dateStyle: 'medium' });
const dateTimeFmt = new Intl.DateTimeFormat('en-US', { dateStyle: 'medium', timeStyle: 'short' });
const timeFmt = new Intl.DateTimeFormat('en-US', { timeStyle: 'short' });

export const credits = (n: number): string => numberFmt.format(n);
export const creditWord = (n: number): string => (Math.abs(n) === 1 ? 'credit' : 'credits');
/** "1 credit", "1,200 credits". */
export const creditsText = (n: number): string => `${numberFmt.format(n)} ${creditWord(n)}`;
export const date = (iso: string): string => dateFmt.format(new Date(iso));
export const dateTime = (iso: string): string => dateTimeFmt.format(new Date(iso));
export const time = (iso: string): string => timeFmt.format(new Date(iso));
export const money = (cents: number, currency: string): string =>
  new Intl.NumberFormat('en-US', { style: 'currency', currency: currency.toUpperCase() }).format(
    cents / 100,
  );

/** "3 h 12 min" style duration for a countdown. */
export function duration(ms: number): string {
  if (ms <= 0) return 'expired';
  const min = Math.floor(ms / 60_000);
  const h = Math.floor(min / 60);
  if (h >= 1) return `${h} h ${min % 60} min`;
  return `${min} min`;
}

/** Local calendar day, YYYY-MM-DD. */
export function dayKey(iso: string): string {
  const d = new Date(iso);
  const m = String(d.getMonth() + 1).padStart(2, '0');
  const day = String(d.getDate()).padStart(2, '0');
  return `${d.getFullYear()}-${m}-${day}`;
}
