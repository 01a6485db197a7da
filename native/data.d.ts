export interface TabularSet {
  x: Float32Array;
  y: Float32Array;
  rows: number;
  cols: number;
  features?: string[];
}
export declare function loadDigits(): TabularSet & { features: string[]; classes: number };
export declare function loadDiabetes(): TabularSet & { features: string[] };
export declare function loadShakespeare(): Buffer;
export declare function splitRows(set: TabularSet, valFraction?: number, seed?: number): { train: TabularSet; val: TabularSet };
export declare function splitText(bytes: Uint8Array, valFraction?: number): { train: Uint8Array; val: Uint8Array };
export declare function unigramEntropy(bytes: Uint8Array): number;
