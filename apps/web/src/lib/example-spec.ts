/** The README's documented example: what the YAML editor starts with. */
export const EXAMPLE_STUDY_YAML = `name: branin-demo
objective: {metric: loss, direction: minimize}
space:
  x: {type: float, low: -5, high: 10}
  lr: {type: float, low: 1.0e-5, high: 1.0e-1, log: true}
  layers: {type: int, low: 1, high: 8}
  width: {type: int, low: 16, high: 1024, log: true}
  act: {type: categorical, choices: [relu, gelu, tanh]}
  optimizer: {type: categorical, choices: [sgd, adamw]}
  dropout: {type: float, low: 0.0, high: 0.5, step: 0.05}
  momentum: {type: float, low: 0.5, high: 0.99, when: {optimizer: sgd}}   # conditional
sampler: {name: auto, seed: 0}            # auto (default), tpe, gp, cmaes, grid, random, nsga2
pruner: {name: median}                     # none, median, percentile, asha, hyperband, patience, threshold
budget: {max_trials: 100, max_parallel: 4, timeout_minutes: 60}
run:                                       # run by the team's agents; leave out for ask/tell
  command: python3 train.py --lr {lr} --layers {layers}  # or builtin: {trainer: mlp, dataset: digits}
  resources: {gpus: 1}
`;
