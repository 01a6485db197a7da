"use client";
import Link from "next/link";
import { usePathname } from "next/navigation";
import type { ReactNode } from "react";
import { useOrg } from "../app-shell";

const SECTIONS = [
  { href: "/settings/tokens", label: "API tokens" },
  { href: "/settings/members", label: "Members" },
  { href: "/settings/webhooks", label: "Webhooks" },
  { href: "/settings/audit", label: "Audit", adminOnly: true },
  { href: "/settings/sso", label: "Single sign-on", adminOnly: true },
  { href: "/settings/account", label: "Your account" },
];

/** The team's settings and the person's account, one tab strip above each page. */
export default function SettingsLayout({ children }: { children: ReactNode }) {
  const pathname = usePathname();
  const { isAdmin } = useOrg();
  return (
    <>
      <nav className="tabs settings-tabs" aria-label="Settings" data-testid="settings-tabs">
        {SECTIONS.filter((s) => !s.adminOnly || isAdmin).map((s) => (
          <Link
            key={s.href}
            href={s.href}
            className={pathname.startsWith(s.href) ? "active" : undefined}
            aria-current={pathname.startsWith(s.href) ? "page" : undefined}
          >
            {s.label}
          </Link>
        ))}
      </nav>
      {children}
    </>
  );
}
