import { dateTime, relativeTime } from '../format.ts';
import { useNow } from '../hooks.ts';

/** `3 min. ago`, with the exact local time on hover; keeps itself current. */
export function RelativeTime({ iso }: { iso: string | null | undefined }) {
  const now = useNow();
  if (!iso) return <span>—</span>;
  return (
    <time dateTime={iso} title={dateTime(iso)}>
      {/* The shared clock may be up to 15 s behind: never show a fresh time as "in 10 sec." */}
      {relativeTime(iso, Math.max(now, Date.now()))}
    </time>
  );
}
