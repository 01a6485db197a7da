import type { Metadata } from "next";
import Link from "next/link";
import { Suspense } from "react";
import { getSignInSettings } from "@/server/env";
import { SignUpForm } from "./sign-up-form";

export const metadata: Metadata = { title: "Create an account" };
// Whether password accounts exist comes from the environment at run time, not from the build.
export const dynamic = "force-dynamic";

export default function SignUpPage() {
  if (!getSignInSettings().isPasswordEnabled) {
    return (
      <div className="card card-body">
        <h1>Create your account</h1>
        <p className="sub">
          This platform signs people in with single sign-on: your account is created the first time you sign in.
        </p>
        <Link href="/signin" className="btn-primary">
          Go to sign in
        </Link>
      </div>
    );
  }
  return (
    <Suspense>
      <SignUpForm />
    </Suspense>
  );
}
