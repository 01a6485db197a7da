/**
 * Size limits for production code, counted without blank lines and comments (a long "why"
 * never costs a split). 80 lines is about one screen, the most a reviewer reads as one step;
 * 400 lines is where a file holds several concerns that deserve names of their own. A file
 * allowed to be longer says why in its first comment and opens with an
 * `eslint-disable max-lines -- <reason>` block comment.
 */

/** Packages whose functions are held to MAX_FUNCTION_LINES: the server side's orchestration code. */
export const FUNCTION_SIZE_PACKAGES = ["@autoglm/scheduler", "@autoglm/agent", "@autoglm/server", "@autoglm/api"];

export const MAX_FUNCTION_LINES = 80;
export const MAX_FILE_LINES = 400;

/** @type {"warn" | "error"} */
export const SIZE_SEVERITY = "error";

/** Production TypeScript: the files the limits apply to (tests, harnesses and tool configs are left out). */
export const PRODUCTION_TS = ["**/*.{ts,tsx,mts,cts}"];
