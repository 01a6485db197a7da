import type { Pruner } from "../trial.js";

export class NonePruner implements Pruner {
  decide(): null {
    return null;
  }
  mayDecide(): boolean {
    return false;
  }
}
