import type { Principal } from '../auth/roles.js';

/**
 * Contacts are personal data (seed S13: visible sensitive data masked): only ops and admin see
 * names and phone numbers in full; every other role gets `张*` and `138****5678`.
 */
export function seesContacts(p: Principal): boolean {
  return p.role === 'admin' || p.role === 'ops';
}

/** `13812345678` → `138****5678`; short numbers keep only their last two digits. */
export function maskPhone(phone: string): string {
  const digits = phone.replace(/[^0-9+]/g, '');
  if (digits.length >= 8) return `${digits.slice(0, 3)}****${digits.slice(-4)}`;
  return `${'*'.repeat(Math.max(0, digits.length - 2))}${digits.slice(-2)}`;
}

/** `张三` → `张*`, `欧阳娜娜` → `欧***`: the first character stays. */
export function maskName(name: string): string {
  const chars = [...name];
  return chars.length <= 1 ? '*' : `${chars[0]}${'*'.repeat(chars.length - 1)}`;
}

/** A copy with `name` and `phone` masked unless the caller may see them. */
export function maskContact<T extends { name: string; phone: string }>(c: T, p: Principal): T {
  return seesContacts(p) ? c : { ...c, name: maskName(c.name), phone: maskPhone(c.phone) };
}
