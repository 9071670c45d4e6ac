import { closest } from '../validation';
import { isStatisticId, STATISTIC_IDS, type StatisticId } from './statistics';

/** `--control STAT=COV1,COV2`; an empty list (`STAT=`) means no covariates. */
export function parseControls(specs: readonly string[]): Partial<Record<StatisticId, StatisticId[]>> {
  const out: Partial<Record<StatisticId, StatisticId[]>> = {};
  const check = (id: string, where: string): StatisticId => {
    if (isStatisticId(id)) return id;
    const hint = closest(id, STATISTIC_IDS);
    throw new Error(
      `--control ${where}: unknown statistic "${id}"${hint ? ` (did you mean "${hint}"?)` : ''}; known: ${STATISTIC_IDS.join(', ')}`,
    );
  };
  for (const spec of specs) {
    const m = /^([^=]+)=(.*)$/.exec(spec);
    if (!m) throw new Error(`--control "${spec}": expected STAT=COV1,COV2`);
    const stat = check(m[1].trim(), `"${spec}"`);
    if (out[stat]) throw new Error(`--control: ${stat} is given twice`);
    out[stat] = m[2].trim() === '' ? [] : m[2].split(',').map((c) => check(c.trim(), `"${spec}"`));
  }
  return out;
}
