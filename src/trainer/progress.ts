/**
 * Human progress on stderr, in the shape of CenterFusion's `progress` bar line:
 *   ddd/demo |#####           | train: [1][3/8]|Tot: 0:00:01 |ETA: 0:00:02 |tot 13.3357 |hm 1.1791 |Data 0.011s(0.014s) |Net 0.280s
 * Like CenterFusion, the bar is only drawn when stderr is a terminal; --print_iter N prints every
 * N-th line as a plain line instead (CenterFusion prints those to stdout, which here carries the
 * events).
 */
import type { IterReport } from './trainer';

/** Python's str(timedelta(seconds=int(s))): H:MM:SS, or 'N day(s), H:MM:SS'. */
export function formatTimedelta(seconds: number): string {
  const total = Math.max(0, Math.floor(Number.isFinite(seconds) ? seconds : 0));
  const days = Math.floor(total / 86400);
  const rest = total % 86400;
  const h = Math.floor(rest / 3600);
  const m = Math.floor((rest % 3600) / 60);
  const s = rest % 60;
  const hms = `${h}:${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}`;
  return days > 0 ? `${days} day${days === 1 ? '' : 's'}, ${hms}` : hms;
}

const BAR_WIDTH = 32;

/** The text after the bar (shared by the bar and the --print_iter lines). */
export function progressSuffix(r: IterReport, withEta: boolean): string {
  let s = `${r.phase}: [${r.epoch ?? 0}][${r.iter}/${r.num_iters}]|Tot: ${formatTimedelta(r.elapsed_s)} |ETA: ${formatTimedelta(withEta ? r.eta_s : 0)} `;
  for (const [name, value] of Object.entries(r.losses)) s += `|${name} ${value.toFixed(4)} `;
  s += `|Data ${r.data_now_s.toFixed(3)}s(${r.data_s.toFixed(3)}s) |Net ${r.net_s.toFixed(3)}s`;
  return s;
}

export function progressBar(label: string, r: IterReport): string {
  const filled = r.num_iters > 0 ? Math.round((BAR_WIDTH * (r.iter + 1)) / r.num_iters) : BAR_WIDTH;
  return `${label} |${'#'.repeat(filled)}${' '.repeat(BAR_WIDTH - filled)}| ${progressSuffix(r, true)}`;
}
