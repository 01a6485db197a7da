import { PHASE_DEVELOPMENT_SERVER } from "next/constants.js";

/** @type {import('next').NextConfig} */
const nextConfig = {
  reactStrictMode: true,
  poweredByHeader: false,
  // Server-only packages stay plain Node imports (native drivers, WASM, argon2, our
  // workspace libraries): bundling them slows `next build` and breaks PGlite's WASM loading.
  serverExternalPackages: [
    "@electric-sql/pglite",
    "pg",
    "@node-rs/argon2",
    "drizzle-orm",
    "@autoglm/api",
    "@autoglm/db",
    "@autoglm/scheduler",
    "@autoglm/optimizer",
  ],
  // Type errors are caught by `tsc --noEmit` (typecheck/lint), and lint is not part of
  // the product build: skipping both here keeps `next build` short on 2 cores.
  typescript: { ignoreBuildErrors: true },
  eslint: { ignoreDuringBuilds: true },
  productionBrowserSourceMaps: false,
  // Next only externalizes serverExternalPackages it resolves inside node_modules; our
  // workspace packages resolve to ../../packages/* and would be bundled (with argon2's .node
  // binary, PGlite's WASM and a second drizzle). Load them with Node's import() instead.
  webpack(config, { isServer, nextRuntime }) {
    if (isServer && nextRuntime === "nodejs") {
      const previous = Array.isArray(config.externals) ? config.externals : config.externals ? [config.externals] : [];
      config.externals = [
        ({ request }, callback) => {
          if (request && /^@autoglm\/(api|db|scheduler|optimizer)(\/|$)/.test(request))
            return callback(null, `import ${request}`);
          return callback();
        },
        ...previous,
      ];
    }
    return config;
  },
  experimental: {
    optimizePackageImports: ["recharts"],
  },
};

// `--dev` writes its own output beside the production build instead of over it, so
// `node dist/main.js` keeps working after a dev session without rebuilding.
export default function config(phase) {
  return phase === PHASE_DEVELOPMENT_SERVER ? { ...nextConfig, distDir: ".next/dev" } : nextConfig;
}
