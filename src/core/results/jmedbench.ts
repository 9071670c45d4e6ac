import { parse } from 'csv-parse/sync';

/**
 * JMedBench (nii-nlp/med-eval) result CSVs: `Task,Template,<Metric>…`, one row per task and
 * template. The metric that counts per family: Accuracy (or Norm_accuracy) for MCQA and document
 * classification, BLEU for MT (reported 0–100, normalised to 0–1 like the others), entity-level F1
 * for NER, Pearson r for STS. The column names are what med-eval's `output_as_csv` writes: each
 * metric key `.capitalize()`d, so NER's "F1 Entity-level" becomes `F1 entity-level`.
 */
export interface TaskInfo {
  readonly task: string;
  readonly language: 'Japanese' | 'English';
  readonly category: 'MCQA' | 'DC' | 'MT' | 'NER' | 'STS';
}

/** CSV task ids → the paper's 27 task names (Tables E.1–E.6). */
export const TASKS: Readonly<Record<string, TaskInfo>> = {
  jcsts: { task: 'JCSTS', language: 'Japanese', category: 'STS' },
  nrner: { task: 'NRNER', language: 'Japanese', category: 'NER' },
  ncbi_disease_jp: { task: 'NCBI-Disease-Jp', language: 'Japanese', category: 'NER' },
  mrner_medicine: { task: 'MRNER-Medicine', language: 'Japanese', category: 'NER' },
  mrner_disease: { task: 'MRNER-Disease', language: 'Japanese', category: 'NER' },
  jnlpba_jp: { task: 'JNLPBA-Jp', language: 'Japanese', category: 'NER' },
  bc5disease_jp: { task: 'BC5Disease-Jp', language: 'Japanese', category: 'NER' },
  bc5chem_jp: { task: 'BC5Chem-Jp', language: 'Japanese', category: 'NER' },
  bc2gm_jp: { task: 'BC2GM-Jp', language: 'Japanese', category: 'NER' },
  'ejmmt-en2ja': { task: 'EJMMT-Ja', language: 'Japanese', category: 'MT' },
  usmleqa_jp: { task: 'USMLEQA-Jp', language: 'Japanese', category: 'MCQA' },
  pubmedqa_jp: { task: 'PubMedQA-Jp', language: 'Japanese', category: 'MCQA' },
  mmlu_medical_jp: { task: 'MMLU-Medical-Jp', language: 'Japanese', category: 'MCQA' },
  medqa_jp: { task: 'MedQA-Jp', language: 'Japanese', category: 'MCQA' },
  medmcqa_jp: { task: 'MedMCQA-Jp', language: 'Japanese', category: 'MCQA' },
  jmmlu_medical: { task: 'JMMLU-Medical', language: 'Japanese', category: 'MCQA' },
  igakuqa: { task: 'IgakuQA', language: 'Japanese', category: 'MCQA' },
  smdis: { task: 'SMDIS', language: 'Japanese', category: 'DC' },
  rrtnm: { task: 'RRTNM', language: 'Japanese', category: 'DC' },
  crade: { task: 'CRADE', language: 'Japanese', category: 'DC' },
  'ejmmt-ja2en': { task: 'EJMMT-En', language: 'English', category: 'MT' },
  usmleqa: { task: 'USMLEQA', language: 'English', category: 'MCQA' },
  pubmedqa: { task: 'PubMedQA', language: 'English', category: 'MCQA' },
  mmlu_medical: { task: 'MMLU-Medical', language: 'English', category: 'MCQA' },
  medqa: { task: 'MedQA', language: 'English', category: 'MCQA' },
  medmcqa: { task: 'MedMCQA', language: 'English', category: 'MCQA' },
  igakuqa_en: { task: 'IgakuQA-En', language: 'English', category: 'MCQA' },
};

export type McqaMetric = 'Accuracy' | 'Norm_accuracy';

/** Which column holds a family's score, and the factor that brings it to 0–1. */
export function metricFor(
  category: TaskInfo['category'],
  mcqa: McqaMetric = 'Accuracy',
): { column: string; scale: number } {
  switch (category) {
    case 'MCQA':
    case 'DC':
      return { column: mcqa, scale: 1 };
    case 'MT':
      return { column: 'Bleu', scale: 1 / 100 };
    case 'NER':
      return { column: 'F1 entity-level', scale: 1 };
    case 'STS':
      return { column: 'Pearson', scale: 1 };
  }
}

export interface ResultRow {
  readonly csvTask: string;
  readonly info: TaskInfo;
  readonly template: string;
  readonly score: number;
  /** Where the number came from. */
  readonly file: string;
  readonly row: number;
}

export interface ParsedResults {
  readonly rows: ResultRow[];
  /** `file:row:col: message` for what could not be read; the rest still loads. */
  readonly problems: string[];
}

export function parseResultCsv(file: string, text: string, mcqa: McqaMetric = 'Accuracy'): ParsedResults {
  const problems: string[] = [];
  const rows: ResultRow[] = [];
  let records: { record: string[]; info: { lines: number } }[];
  try {
    records = parse(text, {
      info: true,
      relax_column_count: true,
      skip_empty_lines: true,
      trim: true,
      bom: true,
    }) as never;
  } catch (e) {
    return {
      rows,
      problems: [`${file}:${(e as { lines?: number }).lines ?? 1}: not valid CSV: ${(e as Error).message}`],
    };
  }
  if (records.length === 0)
    return { rows, problems: [`${file}:1: empty file: expected a header "Task,Template,<metric>…"`] };
  const header = records[0].record;
  if (header[0] !== 'Task' || header[1] !== 'Template')
    return {
      rows,
      problems: [
        `${file}:1:1: expected the header to start with "Task,Template", got "${header.slice(0, 2).join(',')}"`,
      ],
    };
  for (const { record, info } of records.slice(1)) {
    const line = info.lines;
    const csvTask = record[0];
    // Own keys only: a row named `constructor` or `__proto__` is an unknown task, not Object's.
    const task = Object.hasOwn(TASKS, csvTask) ? TASKS[csvTask] : undefined;
    if (!task) {
      problems.push(`${file}:${line}:1: unknown task "${csvTask}" (not one of JMedBench's 27 in the paper)`);
      continue;
    }
    const { column, scale } = metricFor(task.category, mcqa);
    const col = header.indexOf(column);
    if (col < 0) {
      problems.push(
        `${file}:${line}: no "${column}" column for ${task.category} task "${csvTask}" (header: ${header.join(',')})`,
      );
      continue;
    }
    const raw = record[col];
    const v = Number(raw);
    if (raw === undefined || raw === '' || !Number.isFinite(v)) {
      problems.push(`${file}:${line}:${col + 1}: "${column}" of "${csvTask}" must be a number, got "${raw ?? ''}"`);
      continue;
    }
    rows.push({ csvTask, info: task, template: record[1] ?? '', score: v * scale, file, row: line });
  }
  return { rows, problems };
}

export type Aggregation = 'mean' | 'max' | { readonly template: string };

/** One score per task from its templates, by the chosen aggregation; the sources are kept. */
export function aggregate(
  rows: readonly ResultRow[],
  how: Aggregation,
): Map<string, { score: number; from: ResultRow[] }> {
  const byTask = new Map<string, ResultRow[]>();
  for (const r of rows) byTask.set(r.info.task, [...(byTask.get(r.info.task) ?? []), r]);
  const out = new Map<string, { score: number; from: ResultRow[] }>();
  for (const [task, rs] of byTask) {
    if (typeof how === 'object') {
      const pick = rs.filter((r) => r.template === how.template);
      if (pick.length) out.set(task, { score: pick[0].score, from: [pick[0]] });
    } else if (how === 'max') {
      const best = rs.reduce((a, b) => (b.score > a.score ? b : a));
      out.set(task, { score: best.score, from: [best] });
    } else out.set(task, { score: rs.reduce((s, r) => s + r.score, 0) / rs.length, from: rs });
  }
  return out;
}
