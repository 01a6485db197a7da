/**
 * A training script for the run-loop tests: a learning curve over `steps` steps, a
 * checkpoint after every step, resume from AUTOGLM_RESUME_FROM, its pid recorded so the test
 * can clean up orphans of SIGKILLed agents, and a SIGTERM handler that checkpoints and
 * leaves (R10). Loss decays with the step, faster for a `lr` near 0.1.
 */
export const CURVE_PY = String.raw`
import json, os, signal, sys, time
out = os.environ["AUTOGLM_OUTPUT_DIR"]
p = json.loads(os.environ["AUTOGLM_PARAMS"])
steps = int(os.environ.get("CURVE_STEPS", "10"))
delay = float(os.environ.get("CURVE_DELAY", "0.1"))
open(os.path.join(out, "pid"), "w").write(str(os.getpid()))
start = 0
resume = os.environ.get("AUTOGLM_RESUME_FROM")
resumed_from = None
if resume and os.path.exists(os.path.join(resume, "ckpt.json")):
    resumed_from = json.load(open(os.path.join(resume, "ckpt.json")))["step"]
    start = resumed_from + 1
json.dump({"resume": resume, "resumed_from": resumed_from, "start": start}, open(os.path.join(out, "start.json"), "w"))
state = {"step": start - 1}
def checkpoint():
    tmp = os.path.join(out, "ckpt.tmp")
    json.dump({"step": state["step"]}, open(tmp, "w"))
    os.replace(tmp, os.path.join(out, "ckpt.json"))
def on_term(*_):
    if state["step"] >= 0:
        checkpoint()
    open(os.path.join(out, "terminated"), "w").write("1")
    sys.exit(0)
signal.signal(signal.SIGTERM, on_term)
lr = float(p.get("lr", 0.1))
quality = abs(lr - 0.1) * 5 + 0.1
for step in range(start, steps):
    time.sleep(delay)
    loss = quality + 1.0 / (step + 1)
    print(json.dumps({"autoglm": 1, "step": step, "metrics": {"loss": loss}}), flush=True)
    state["step"] = step
    checkpoint()
print("finished", flush=True)
`;
