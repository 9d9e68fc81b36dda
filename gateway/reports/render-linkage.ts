import { esc, page, table, type Cell } from './html.js';
import type { LinkageReport, LinkageRow, PeriodView, UnitLinkage } from './schema.js';

/** The linkage assessment as a printable page (seed 004 附件二, items 6 and 7). */

const tierLabel = (tier: number | null) => (tier === null ? '—' : ['一级', '二级', '三级'][tier - 1] ?? String(tier));
const steps = (s: LinkageRow['signed']): Cell[] => [s.onTime, s.late, s.never];
const numbers = (r: LinkageRow): Cell[] => [r.dispatches, ...steps(r.signed), ...steps(r.arrived), r.misses, r.pointsDeducted, r.score];

export function linkageTable(units: readonly UnitLinkage[], totals: LinkageRow): string {
  const head = ['单位 (unit)', '级别 (tier)', '派单 (dispatches)', '按时签收', '超时签收', '未签收', '按时到场', '超时到场', '未到场', '未按时 (misses)', '扣分 (points)', '得分 (score)'];
  const rows = units.map((u) => [u.unit.name ?? u.unit.id, tierLabel(u.unit.tier), ...numbers(u)]);
  return table(head, rows, { numeric: [2, 3, 4, 5, 6, 7, 8, 9, 10, 11], foot: ['合计 (total)', '', ...numbers(totals)] });
}

export function periodTitle(p: PeriodView): string {
  if (p.kind === 'year') return `${p.label}年`;
  if (p.kind === 'month') return `${p.label.slice(0, 4)}年${Number(p.label.slice(5))}月`;
  return `${p.label.slice(0, 4)}年第${Number(p.label.slice(6))}周`;
}

export function periodMeta(p: PeriodView, generatedAt: string): string {
  return `${p.from} 至 ${p.to}（北京时间，不含结束时刻）${p.complete ? '' : '，统计期未结束'}；生成于 ${generatedAt}`;
}

export function renderLinkage(r: LinkageReport): string {
  const body = `${linkageTable(r.units, r.totals)}
<p class="note">依据《越城区社会应急联动考核细则》（附件二）第6条（指令下达后10分钟内签收）和第7条（一级联动单位20分钟内、二级和三级30分钟内到场），
只计值守时间，每起扣 ${esc(r.pointsPerMiss)} 分；得分为扣分之和的相反数（细则不设基础分）。其余各条由联动指挥中心另行考核。
按派单时间归入统计期；演练案件不计。</p>`;
  return page(`社会应急联动考核月报 ${periodTitle(r.period)}`, periodMeta(r.period, r.generatedAt), body);
}
