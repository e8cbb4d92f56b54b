// @ts-check
// A task's form (一表通查): the questions of the templates its checklist
// names, merged in the checklist's order. An answer's key is
// "<itemCode>/<questionId>" (backend.AnswerKey).

/** @param {string} item @param {number} version */
export function templateId(item, version) {
  return `${item}@${version}`;
}

/** @param {string} item @param {string} question */
export function answerKey(item, question) {
  return `${item}/${question}`;
}

/**
 * @typedef {object} Section
 * @property {string} itemCode
 * @property {string} itemName
 * @property {string} departmentId
 * @property {number} templateVersion
 * @property {any[]} questions
 */

/**
 * Returns the form of task from the templates held, or throws naming the
 * first template that is not held.
 * @param {{id: string, checklist?: {item: string, version: number}[] | null}} task
 * @param {Map<string, any> | Record<string, any>} templates by templateId
 * @returns {Section[]}
 */
export function formOf(task, templates) {
  const get = templates instanceof Map ? (/** @type {string} */ id) => templates.get(id) : (/** @type {string} */ id) => templates[id];
  return (task.checklist ?? []).map((ref) => {
    const tp = get(templateId(ref.item, ref.version));
    if (!tp) throw new Error(`task ${task.id} names checklist template ${templateId(ref.item, ref.version)}, which is not held: pull from the start`);
    return { itemCode: tp.item, itemName: tp.itemName, departmentId: tp.departmentId, templateVersion: tp.version, questions: tp.questions ?? [] };
  });
}

/** The answer keys of a form, in order. @param {Section[]} form */
export function formKeys(form) {
  return form.flatMap((s) => s.questions.map((q) => answerKey(s.itemCode, q.id)));
}
