// S7 for every query procedure (see fuzz.ts).
import { fuzzSuite } from "./fuzz.js";

fuzzSuite("query");
