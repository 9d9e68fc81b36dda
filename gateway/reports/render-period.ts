import { countRows, minutes, page, percent, table } from './html.js';
import { linkageTable, periodMeta, periodTitle } from './render-linkage.js';
import type { PeriodReport } from './schema.js';
import { slaClocks } from '../sla/schema.js';

/** The weekly / monthly / yearly analysis report as a printable page (seed 001 四(一)2). */

const gradeLabels: Readonly<Record<string, string>> = { red: '红色 (red)', orange: '橙色 (orange)', yellow: '黄色 (yellow)', blue: '蓝色 (blue)' };
const kindTitle = { week: '周报', month: '月报', year: '年报' } as const;
const clockLabels = { first_report: '首报 (30 min)', written_report: '书面报告 (60 min)', sign: '签收 (sign)', arrive: '到场 (arrive)' } as const;

export function renderPeriod(r: PeriodReport): string {
  const w = r.warnings;
  const c = r.cases;
  const ack = w.acknowledgement;
  const sections = [
    `<h2>一、预警 (warnings)</h2>
<p>共 ${w.total} 条${w.exercises > 0 ? `（另有演练 ${w.exercises} 条）` : ''}。叫应 ${ack.required} 条：按时应答 ${ack.inTime}，超时应答 ${ack.late}，未应答 ${ack.never}。</p>
${table(['最高等级 (grade)', '条数'], countRows(w.byGrade, (g) => gradeLabels[g] ?? g), { numeric: [1] })}
${table(['类别 (category)', '条数'], countRows(w.byCategory), { numeric: [1] })}
${table(['设备类型 (kind)', '条数'], countRows(w.byKind), { numeric: [1] })}
${table(['网格 (block)', '条数'], countRows(w.byBlock), { numeric: [1] })}`,
    `<h2>二、案件 (cases)</h2>
<p>共 ${c.total} 件${c.exercises > 0 ? `（另有演练 ${c.exercises} 件）` : ''}。</p>
${table(['来源 (source)', '件数'], countRows(c.bySource), { numeric: [1] })}
${table(['当前状态 (status)', '件数'], countRows(c.byStatus), { numeric: [1] })}
${table(['类别 (category)', '件数'], countRows(c.byCategory), { numeric: [1] })}
${table(['中位用时 (median, min)', '分钟'], [
  ['事发至上报 (incident → reported)', minutes(c.medianMs.report)],
  ['派单至签收 (dispatch → signed)', minutes(c.medianMs.sign)],
  ['派单至到场 (dispatch → arrived)', minutes(c.medianMs.arrive)],
  ['事发至结案 (incident → closed)', minutes(c.medianMs.close)],
], { numeric: [1] })}`,
    `<h2>三、时限 (SLA)</h2>
${table(['时限 (clock)', '按时', '超时完成', '超时未完成', '中止', '进行中', '暂停'], slaClocks.map((k) => {
  const s = r.sla[k];
  return [clockLabels[k], s.met, s.late, s.missed, s.stopped, s.open, s.paused];
}), { numeric: [1, 2, 3, 4, 5, 6] })}`,
    `<h2>四、联动考核 (linkage)</h2>
${linkageTable(r.linkage.units, r.linkage.totals)}
<p class="note">每起未按时签收或到场扣 ${r.linkage.pointsPerMiss} 分（附件二第6、7条），只计值守时间。</p>`,
    `<h2>五、设备在线 (device availability)</h2>
${table(['设备类型 (kind)', '设备数', '在线时长占比', '应报', '实报', '报送率'], Object.entries(r.devices.byKind).sort(([a], [b]) => a.localeCompare(b)).map(([k, a]) => [
  k, a.devices, percent(a.onlineShare), a.expectedReports, a.receivedReports, percent(a.reportShare),
]), { numeric: [1, 2, 3, 4, 5], foot: ['合计 (total)', r.devices.total.devices, percent(r.devices.total.onlineShare), r.devices.total.expectedReports, r.devices.total.receivedReports, percent(r.devices.total.reportShare)] })}
<p class="note">报送时段为设备心跳周期（不足一小时按一小时，向上取整到整小时），自统计期开始起算，按小时数据统计。</p>`,
  ];
  return page(`城运中心${kindTitle[r.period.kind]} ${periodTitle(r.period)}`, periodMeta(r.period, r.generatedAt), sections.join('\n'));
}
