import type { StudyModel } from '../core/study/loadStudy';
import type { StudyPayload } from './panels';

/** What the panels receive of a study: plain data, no file handles or classes; the result as the core made it. */
export function toStudyPayload(model: StudyModel): StudyPayload {
  const { scores, composition } = model.inputs;
  return {
    name: model.name,
    source: `${scores.file} · ${composition.file}`,
    corpora: [...model.result.corpora],
    tasks: scores.tasks.map((t) => ({
      task: t.task,
      language: t.language,
      category: t.category,
      values: model.result.corpora.map((c) => t.values[scores.corpora.indexOf(c)]),
    })),
    result: model.result,
    tableOne: model.tableOne,
    notes: model.notes,
    problems: model.problems,
    provenance: Object.fromEntries(model.provenance),
  };
}
