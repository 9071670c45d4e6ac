import type { JobRecord } from './registry';

/**
 * Where a job's log document lives: under its cluster, named by study, stage, job id and model, so
 * that two jobs' logs never share a tab (a resubmitted job has a new id; one never submitted has
 * no id and shows its tag). The model comes last, as the name a person looks for.
 */
export function logDocumentPath(j: Pick<JobRecord, 'cluster' | 'study' | 'stage' | 'model' | 'jobId' | 'tag'>): string {
  const id = j.jobId ? `job ${j.jobId}` : j.tag;
  return `/${j.cluster}/${j.study} · ${j.stage} · ${id} · ${j.model}.log`;
}

/**
 * Whether a view of a log follows its tail: it does while its last visible line (of any of its
 * visible ranges, 0-based) is the document's last, as `tail -f` in a terminal scrolled to its end.
 */
export function followsTail(visibleEndLines: readonly number[], lineCount: number): boolean {
  return visibleEndLines.some((line) => line >= lineCount - 1);
}
