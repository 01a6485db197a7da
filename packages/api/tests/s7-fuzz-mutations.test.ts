// S7 for every mutation procedure (see fuzz.ts).
import { fuzzSuite } from "./fuzz.js";

fuzzSuite("mutation");
