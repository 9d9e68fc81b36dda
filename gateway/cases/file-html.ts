import type { CaseFile } from './file-schema.js';
import type { TransitionRecord } from './repo.js';
import { gradeLabels, localTime, statusLabels } from './labels.js';

/**
 * The case file as a printable page (一事一档, seed S16). Every value from the record is
 * escaped; times are China Standard Time. No scripts, no external resources: it prints and
 * archives as one file.
 */

const entities: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export function escapeHtml(v: unknown): string {
  const s = v === null || v === undefined ? '' : typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : JSON.stringify(v);
  return s.replace(/[&<>"']/g, (ch) => entities[ch] ?? ch);
}

type Cell = string | number | boolean | null | undefined | { html: string };
const cell = (v: Cell) => (typeof v === 'object' && v !== null ? v.html : escapeHtml(v));

function table(headers: readonly string[], rows: readonly Cell[][], empty = '无'): string {
  if (rows.length === 0) return `<p class="empty">${escapeHtml(empty)}</p>`;
  const head = headers.map((h) => `<th>${escapeHtml(h)}</th>`).join('');
  const body = rows.map((r) => `<tr>${r.map((v) => `<td>${cell(v)}</td>`).join('')}</tr>`).join('\n');
  return `<table><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

function fields(pairs: ReadonlyArray<readonly [string, Cell]>): string {
  return `<table class="fields"><tbody>${pairs.map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${cell(v)}</td></tr>`).join('\n')}</tbody></table>`;
}

const section = (id: string, title: string, body: string) => `<section id="${id}"><h2>${escapeHtml(title)}</h2>\n${body}\n</section>`;
const json = (v: unknown, max = 600) => {
  if (v === null || v === undefined) return '';
  const s = JSON.stringify(v);
  return s.length > max ? `${s.slice(0, max)}…` : s;
};
const pre = (text: string) => ({ html: `<pre>${escapeHtml(text)}</pre>` });
const label = (s: string) => statusLabels[s as keyof typeof statusLabels] ?? s;
const grade = (g: string | null | undefined) => (g ? (gradeLabels[g as keyof typeof gradeLabels] ?? g) : '');

function actorName(f: CaseFile, a: TransitionRecord['actor']): string {
  return f.actorNames[`${a.type}:${a.id}`] ?? `${a.type}:${a.id}`;
}

function transitionRows(f: CaseFile, ts: readonly TransitionRecord[]): Cell[][] {
  return ts.map((t) => [localTime(t.at), t.step === 'opened' ? '立案登记' : label(t.step), `${t.from ? label(t.from) : '—'} → ${label(t.to)}`, actorName(f, t.actor), t.note, localTime(t.recordedAt)]);
}

function caseSection(f: CaseFile): string {
  const c = f.case;
  const where = [c.location.address, c.location.lon !== undefined && c.location.lat !== undefined ? `${c.location.lon}, ${c.location.lat}` : ''].filter(Boolean).join('；');
  return fields([
    ['案件编号', c.id], ['区级案件号', c.districtCaseNo ?? '（未返回）'], ['来源', f.source.label], ['外部编号', c.externalId],
    ['类别', `${c.category}${c.kind ? ` / ${c.kind}` : ''}`], ['等级', grade(c.grade)], ['标题', c.title], ['描述', c.description],
    ['网格', c.blockCode], ['地点', where], ['状态', label(c.status)],
    ['处置单位', f.unit ? `${f.unit.name ?? f.unit.id}（${f.unit.id}，${f.unit.tier}级单位）` : ''],
    ['演练', c.exercise ? '是（演练，非真实事件）' : '否'], ['发生时间', localTime(c.incidentAt)], ['创建时间', localTime(c.createdAt)],
    ...Object.entries(c.times).map(([s, t]) => [`${label(s)}时间`, localTime(t)] as const),
  ]);
}

function warningSection(f: CaseFile): string {
  const w = f.warning;
  if (!w) return '<p class="empty">本案件非由预警生成。</p>';
  return [
    fields([['预警编号', w.id], ['规则', w.ruleId], ['设备', w.deviceId], ['当前等级', grade(w.grade)], ['最高等级', grade(w.peakGrade)], ['状态', w.state], ['发布时间', localTime(w.raisedAt)], ['解除时间', localTime(w.clearedAt)], ['原因', w.reason]]),
    '<h3>预警时间线</h3>',
    table(['时间', '类型', '等级', '数值', '操作人', '说明'], f.warningTimeline.map((e) => [localTime(e.at), e.type, `${grade(e.fromGrade) || '—'} → ${grade(e.toGrade) || '—'}`, e.value ?? e.state, e.actor, e.text])),
    '<h3>叫应记录</h3>',
    table(['时间', '类型', '岗位', '渠道', '说明'], f.callouts.map((e) => [localTime(e.at), e.type, e.role, e.channel, e.detail])),
  ].join('\n');
}

function readingsSection(f: CaseFile): string {
  const r = f.readings;
  if (!r.deviceId) return `<p class="empty">${escapeHtml(r.note)}</p>`;
  const head = `<p>设备 ${escapeHtml(r.deviceId)}，${escapeHtml(localTime(r.from))} 至 ${escapeHtml(localTime(r.to))}${r.bucket ? '（按小时汇总）' : ''}${r.note ? `。${escapeHtml(r.note)}` : ''}</p>`;
  const rows = r.rows.map((x) => (r.bucket ? [localTime(x['time'] as string), x['metric'] as string, x['avg'] as number, x['min'] as number, x['max'] as number, x['count'] as number] : [localTime(x['time'] as string), x['metric'] as string, (x['value'] ?? x['state']) as Cell]));
  return head + table(r.bucket ? ['时间', '指标', '平均', '最小', '最大', '条数'] : ['时间', '指标', '数值'], rows, '该时段无数据');
}

function deliveriesSection(f: CaseFile): string {
  const rows = f.deliveries.deliveries.map((d) => [
    d.id, d.about === 'case' ? '案件' : '预警', d.channel, d.key, d.state, localTime(d.createdAt), localTime(d.deliveredAt),
    pre(d.attemptLog.map((a) => `${localTime(a.at)} ${a.ok ? '成功' : '失败'}${a.endpoint ? ` [${a.endpoint}]` : ''}${a.status !== null ? ` HTTP ${a.status}` : ''}${a.error ? ` ${a.error}` : ''}`).join('\n')),
  ]);
  return table(['编号', '对象', '渠道', '幂等键', '状态', '入队时间', '送达时间', '尝试记录'], rows);
}

function reportSection(f: CaseFile): string {
  const { versions, confirmedVersion } = f.writtenReport;
  if (versions.length === 0) return '<p class="empty">尚未保存书面报告。</p>';
  return versions.map((v) => {
    const r = v.report;
    const state = v.confirmedAt ? `已确认（${v.confirmedBy?.name ?? ''}，${localTime(v.confirmedAt)}）` : '草稿';
    return `<h3>第 ${v.version} 版${v.version === confirmedVersion ? '（有效版本）' : ''}：${escapeHtml(state)}</h3>\n` + fields([
      ['编辑', `${v.editedBy.name}，${localTime(v.editedAt)}`], ['事件概况', r.what], ['地点', r.where], ['发生时间', localTime(r.when)], ['等级', grade(r.grade)],
      ['影响范围', r.areaAffected], ['人员伤亡', r.casualties], ['财产损失', r.losses], ['已采取措施', pre(r.measuresTaken)], ['现场图片', r.pictures.join('\n')], ['下一步工作', r.nextSteps],
    ]);
  }).join('\n');
}

const style = `body{font-family:"PingFang SC","Microsoft YaHei","Noto Sans CJK SC",sans-serif;font-size:12px;margin:24px;color:#111}
h1{font-size:18px}h2{font-size:15px;border-bottom:1px solid #999;margin-top:24px}h3{font-size:13px}
table{border-collapse:collapse;width:100%;margin:6px 0}th,td{border:1px solid #bbb;padding:3px 6px;text-align:left;vertical-align:top}
table.fields th{width:9em;background:#f3f3f3}thead th{background:#f3f3f3}pre{margin:0;white-space:pre-wrap;font-family:inherit}
.empty{color:#666}@media print{body{margin:0}section{break-inside:auto}h2{break-after:avoid}}`;

export function renderCaseFileHtml(f: CaseFile): string {
  const c = f.case;
  const sections = [
    section('case', '一、案件信息', caseSection(f)),
    section('transitions', '二、流转记录', table(['时间', '环节', '状态变化', '操作方', '备注', '记录时间'], transitionRows(f, f.transitions))),
    section('warning', '三、关联预警', warningSection(f)),
    section('readings', '四、监测数据（事发前30分钟至结案）', readingsSection(f)),
    section('pictures', '五、现场图片', f.pictures.items.length === 0 ? `<p class="empty">${escapeHtml(f.pictures.note)}</p>` : table(['图片'], f.pictures.items.map((p) => [json(p)]))),
    section('sla', '六、时限', table(['时限', '序号', '单位', '开始', '截止', '达成', '超时', '停止', '结果'], f.sla.map((s) => [s.clock, s.seq, s.unit?.id ?? null, localTime(s.startedAt), localTime(s.deadline), localTime(s.metAt), localTime(s.breachedAt), localTime(s.stoppedAt), s.outcome]))),
    section('deliveries', '七、推送记录', deliveriesSection(f)),
    section('feedback', '八、区级反馈', table(['时间', '环节', '状态变化', '操作方', '备注', '记录时间'], transitionRows(f, f.districtFeedback))),
    section('report', '九、书面报告', reportSection(f)),
    section('audit', '十、审计记录', table(['时间', '操作人', '角色', '操作', '变更'], f.audit.map((a) => [localTime(a.at), a.actor.name, a.actor.role, a.action, auditChange(a.before, a.after)]))),
    section('events', '十一、事件', table(['编号', '时间', '类型', '说明'], f.events.map((e) => [e.id, localTime(e.at), e.type, eventText(e.data)]))),
  ];
  return `<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>${escapeHtml(`一事一档 案件 ${c.id}：${c.title}`)}</title><style>${style}</style></head>
<body>
<h1>${escapeHtml(`一事一档 · 案件 ${c.id}：${c.title}`)}</h1>
<p>生成时间 ${escapeHtml(localTime(f.generatedAt))}（北京时间）${c.exercise ? ' · <strong>演练</strong>' : ''}</p>
${sections.join('\n')}
</body></html>
`;
}

const field = (v: unknown, k: string): unknown => (typeof v === 'object' && v !== null ? (v as Record<string, unknown>)[k] : undefined);

/** The gist of an audited change: the status moved, or the report version; otherwise the record after it, cut short. */
function auditChange(before: unknown, after: unknown): string {
  const [s0, s1] = [field(before, 'status'), field(after, 'status')];
  if (typeof s1 === 'string') return typeof s0 === 'string' ? `${label(s0)} → ${label(s1)}` : `新建：${label(s1)}`;
  const version = field(after, 'version');
  if (typeof version === 'number') return `书面报告第 ${version} 版${field(after, 'confirmed') === true ? '（已确认）' : ''}`;
  return json(after, 200);
}

function eventText(data: Record<string, unknown>): string {
  const parts: string[] = [];
  if (typeof data['from'] === 'string' && typeof data['to'] === 'string') parts.push(`${label(data['from'])} → ${label(data['to'])}`);
  if (typeof data['version'] === 'number') parts.push(`第 ${data['version']} 版`);
  if (typeof data['clock'] === 'string') parts.push(data['clock']);
  return parts.join('；');
}
