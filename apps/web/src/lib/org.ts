"use client";
// The team the dashboard has selected. Kept outside React so the tRPC link can read it
// for every request (header x-autoglm-org), and in localStorage so a reload keeps it.
const STORAGE_KEY = "autoglm.org";
let current: string | null = null;

export function getSelectedOrg(): string | null {
  if (current) return current;
  if (typeof window !== "undefined") current = window.localStorage.getItem(STORAGE_KEY);
  return current;
}

export function setSelectedOrg(orgId: string | null): void {
  current = orgId;
  if (typeof window === "undefined") return;
  if (orgId) window.localStorage.setItem(STORAGE_KEY, orgId);
  else window.localStorage.removeItem(STORAGE_KEY);
}
