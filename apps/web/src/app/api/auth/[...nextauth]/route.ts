import NextAuth from "next-auth";
import { getAuthOptions } from "@/server/auth";

export const dynamic = "force-dynamic";

type Ctx = { params: Promise<{ nextauth: string[] }> };

async function handler(req: Request, ctx: Ctx): Promise<Response> {
  return NextAuth(getAuthOptions())(req, ctx) as Promise<Response>;
}

export { handler as GET, handler as POST };
