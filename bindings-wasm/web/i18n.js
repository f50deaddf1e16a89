// The page's own words in Chinese (first) and English. Words that come from the policy set
// (labels of facts, enum values, rule titles) are the set's; messages come from the engine,
// which writes each in both languages.

const strings = {
  title: ["护苗 · 越秀区未成年人保护规则", "humiao · Yuexiu child-protection rules"],
  tabIntake: ["案件登记", "Case intake"],
  tabPlayground: ["规则试验场", "Rule playground"],
  switchLang: ["English", "中文"],
  loading: ["正在加载规则引擎…", "Loading the rules engine…"],
  loadFailed: ["规则加载失败", "The rules could not be loaded"],
  policy: ["政策集", "Policy set"],
  intakeHelp: [
    "只显示仍可能改变结论的问题；勾选发现的迹象，按提示补充信息。结论随输入即时更新。",
    "Only questions that can still change the decision are shown. Tick the signs seen and answer what is asked; the decision updates as you type.",
  ],
  showAll: ["显示全部问题", "Show all questions"],
  asOf: ["判定日期", "Decision date (as of)"],
  asOfHelp: ["默认为发现日期", "defaults to the date of discovery"],
  involves: ["本案涉及", "This case involves"],
  groupRoot: ["发现经过", "Discovery"],
  groupReporter: ["报告人", "Reporter"],
  groupMinor: ["未成年人", "The child"],
  groupIndicators: ["发现的迹象", "Signs seen"],
  groupParents: ["父母情况", "Parents"],
  yes: ["是", "yes"],
  no: ["否", "no"],
  unknown: ["未填写", "not given"],
  choose: ["请选择", "choose"],
  addRow: ["添加一条", "Add"],
  removeRow: ["删除", "Remove"],
  row: ["第 {n} 条", "item {n}"],
  askedNext: ["待补充", "asked"],
  decision: ["结论", "Decision"],
  statusDetermined: ["已判定", "determined"],
  statusUndetermined: ["尚待补充信息", "undetermined: facts missing"],
  statusConflict: ["规则冲突", "conflict between rules"],
  duty: ["报告义务", "Duty to report"],
  noSigns: ["尚未勾选任何发现的迹象：勾选之前，报告义务按“未发现迹象”判定", "No sign ticked yet: until one is, the duty reads as if none was seen"],
  obligations: ["须履行的义务", "Obligations"],
  noObligations: ["目前没有须履行的义务", "No obligation so far"],
  actor: ["义务主体", "Who"],
  action: ["行为", "What"],
  party: ["对象", "To whom"],
  deadline: ["时限", "Deadline"],
  due: ["截止", "Due"],
  dueUnknown: ["待定（缺少触发时间）", "not yet known (trigger time missing)"],
  with: ["参与方", "With"],
  cite: ["依据", "Cited"],
  rule: ["规则", "Rule"],
  conclusions: ["其他结论", "Other conclusions"],
  missing: ["还需了解", "Still needed"],
  decides: ["决定", "decides"],
  undecided: ["尚未确定", "Undecided"],
  assumptions: ["所依据的待确认参数", "Unconfirmed params used"],
  notes: ["说明", "Notes"],
  explanation: ["推理过程", "Explanation"],
  fired: ["已适用", "fired"],
  notFired: ["未适用", "not fired"],
  undecidedRule: ["待定", "undecided"],
  overridden: ["被例外排除", "overridden"],
  notApplicable: ["不适用", "not applicable"],
  notInForce: ["未生效", "not in force"],
  condTrue: ["成立", "true"],
  condFalse: ["不成立", "false"],
  condUnknown: ["未知", "unknown"],
  factsInvalid: [
    "以下输入有误，结论暂按其余信息给出：",
    "Some input is invalid; the decision uses the rest:",
  ],
  evalFailed: ["无法评估", "Could not evaluate"],
  dateAfterDiscovery: ["出生日期晚于发现时间", "the birth date is after the discovery"],
  reportedBeforeDiscovery: ["报告时间早于发现时间", "reported before it was discovered"],
  untilBeforeSince: ["结束日期早于开始日期", "ends before it starts"],
  formatDate: ["格式：YYYY-MM-DD", "format: YYYY-MM-DD"],
  formatDateTime: ["格式：2026-03-01T10:00+08:00", "format: 2026-03-01T10:00+08:00"],
  formatInt: ["整数", "a whole number"],
  range: ["范围 {lo}–{hi}", "range {lo}–{hi}"],
  // playground
  file: ["文件", "File"],
  reset: ["恢复原文", "Reset"],
  runTests: ["运行测试", "Run tests"],
  diagnostics: ["诊断", "Diagnostics"],
  noDiagnostics: ["没有问题", "No problems"],
  otherFiles: ["其他文件：{n} 条", "other files: {n}"],
  line: ["第 {line} 行第 {col} 列", "line {line}, column {col}"],
  error: ["错误", "error"],
  warning: ["警告", "warning"],
  info: ["提示", "info"],
  help: ["帮助", "help"],
  testsSummary: ["{passed} 项通过，{failed} 项失败", "{passed} passed, {failed} failed"],
  testsThisFile: ["本文件的测试", "Tests in this file"],
  testsCannotRun: ["政策集有错误，无法运行测试", "The policy set has errors; tests cannot run"],
  expected: ["期望", "expected"],
  actual: ["实际", "actual"],
  playgroundHelp: [
    "修改规则文件，诊断随输入即时显示在对应的行和列；其他文件按原样参与检查。",
    "Edit a rule file: diagnostics appear at their line and column as you type; the other files of the set are checked alongside.",
  ],
};

let lang = "zh";

export function getLang() {
  return lang;
}

export function setLang(l) {
  lang = l === "en" ? "en" : "zh";
  document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
}

/** The page's word for `key`, with `{name}` placeholders filled. */
export function t(key, vars = {}) {
  const pair = strings[key];
  let s = pair ? pair[lang === "zh" ? 0 : 1] : key;
  for (const [k, v] of Object.entries(vars)) s = s.replaceAll(`{${k}}`, String(v));
  return s;
}

/** The engine's message in the current language. */
export function msg(o) {
  return lang === "zh" ? (o.message_zh ?? o.message) : o.message;
}

/** `public_security` → `public security`, for English where the set has only Chinese labels. */
export function humanize(name) {
  return String(name).replaceAll("_", " ");
}

/** Fills every `[data-i18n]` element's text. */
export function translateStatic(root = document) {
  for (const el of root.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
}
