import { chinaTime } from '../events/store.js';
import type { Grade } from '../../rules/schema.js';
import type { CaseStatus } from './types.js';

/** What people read (the printed case file, report drafts, transition notes): Chinese labels and local times. */

export const statusLabels: Readonly<Record<CaseStatus | 'resumed', string>> = {
  new: '新建', reported: '已上报', dispatched: '已派遣', signed: '已签收', arrived: '已到场', handled: '已处置',
  verified: '已核查', closed: '已结案', returned: '已退单', suspended: '已挂账', resumed: '恢复办理',
};

/** `红色（I级）`: the colour and the national level (DOMAIN.md "Warning levels"). */
export const gradeLabels: Readonly<Record<Grade, string>> = { blue: '蓝色（IV级）', yellow: '黄色（III级）', orange: '橙色（II级）', red: '红色（I级）' };

/** `2026-06-01 10:02:03` in China Standard Time; '' for null or unreadable input. */
export function localTime(t: string | number | null | undefined): string {
  if (t === null || t === undefined) return '';
  const ms = typeof t === 'number' ? t : Date.parse(t);
  if (!Number.isFinite(ms)) return '';
  return chinaTime(ms).slice(0, 19).replace('T', ' ');
}
