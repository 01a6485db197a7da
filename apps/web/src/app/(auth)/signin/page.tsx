import type { Metadata } from "next";
import { Suspense } from "react";
import { getSignInSettings } from "@/server/env";
import { SignInForm } from "./sign-in-form";

export const metadata: Metadata = { title: "Sign in" };
// The sign-in methods come from the environment at run time, not from the build.
export const dynamic = "force-dynamic";

export default function SignInPage() {
  const settings = getSignInSettings();
  return (
    <Suspense>
      <SignInForm isPasswordEnabled={settings.isPasswordEnabled} ssoName={settings.oidc?.name ?? null} />
    </Suspense>
  );
}
