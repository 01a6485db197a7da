"""Framework callbacks on tiny real models: LightGBM and XGBoost boosters, a PyTorch Lightning
module and a plain PyTorch loop. A deterministic pruner (value above 0.6 from step 5 on) stops
the slow learner (lr 1e-4: logloss stays near log 2 = 0.69) and spares the fast one (lr 0.3);
each test checks that the pruned model really stopped training at that step, and that the
values it reported reached the server. Frameworks not installed here are skipped, with the
reason printed in pytest's summary (torch is not installed in CI: its wheels are gigabytes)."""

from __future__ import annotations

import pytest

import autoglm
from conftest import server_trials

ROUNDS = 30
PRUNER = {"name": "threshold", "upper": 0.6, "n_warmup_steps": 5}


def data():
    np = pytest.importorskip("numpy", reason="numpy is not installed")
    rng = np.random.RandomState(0)
    x = rng.normal(size=(400, 5))
    y = (x[:, 0] + 0.5 * x[:, 1] > 0).astype(np.float64)
    return x[:300], y[:300], x[300:], y[300:]


def run_study(client, project, name, lr, objective):
    study = client.create_study(
        project=project, name=name, space={"lr": autoglm.Categorical([lr])}, pruner=PRUNER, max_trials=1
    )
    study.optimize(objective, n_trials=1)
    return study


def check(team, study, expect_pruned, rounds_trained):
    t = server_trials(team, study.id)[0]
    detail = team.call("GET", "trial.get", {"trialId": t["id"]})
    steps = [p["step"] for p in detail["intermediate"]]
    if expect_pruned:
        assert t["state"] == "pruned", t
        assert t["endReason"].startswith("threshold: its value at step 5,")
        # Stopped at the pruned round: rounds 6.. never trained.
        assert rounds_trained == 6
        assert steps == list(range(6))
    else:
        assert t["state"] == "complete", t
        assert rounds_trained == ROUNDS
        assert steps == list(range(ROUNDS))
    return t, detail


@pytest.mark.parametrize("lr,pruned", [(1e-4, True), (0.3, False)])
def test_lightgbm(client, project, team, lr, pruned):
    lgb = pytest.importorskip("lightgbm", reason="lightgbm is not installed")
    from autoglm.integrations.lightgbm import PruningCallback

    xt, yt, xv, yv = data()
    trained = []

    def objective(trial):
        booster = lgb.train(
            {"objective": "binary", "learning_rate": trial["lr"], "num_leaves": 4, "verbose": -1, "seed": 0},
            lgb.Dataset(xt, yt),
            num_boost_round=ROUNDS,
            valid_sets=[lgb.Dataset(xv, yv)],
            callbacks=[lambda env: trained.append(env.iteration), PruningCallback(trial, "binary_logloss")],
        )
        return booster.best_score["valid_0"]["binary_logloss"]

    study = run_study(client, project, "lightgbm-%g" % lr, lr, objective)
    t, detail = check(team, study, pruned, len(trained))
    if not pruned:
        assert t["value"] == pytest.approx(detail["intermediate"][-1]["value"])


def test_lightgbm_names_a_metric_it_did_not_report(client, project):
    lgb = pytest.importorskip("lightgbm", reason="lightgbm is not installed")
    from autoglm.integrations.lightgbm import PruningCallback

    xt, yt, xv, yv = data()

    def objective(trial):
        lgb.train({"objective": "binary", "verbose": -1}, lgb.Dataset(xt, yt), num_boost_round=2,
                  valid_sets=[lgb.Dataset(xv, yv)], callbacks=[PruningCallback(trial, "auc")])
        return 0.0

    study = client.create_study(project=project, name="lightgbm-wrong-metric", space={"lr": autoglm.Float(0, 1)})
    with pytest.raises(ValueError, match=r"LightGBM reported no metric 'auc' \(it reported \['valid_0/binary_logloss'\]\)"):
        study.optimize(objective, n_trials=1)


@pytest.mark.parametrize("lr,pruned", [(1e-4, True), (0.3, False)])
def test_xgboost(client, project, team, lr, pruned):
    xgb = pytest.importorskip("xgboost", reason="xgboost is not installed")
    from autoglm.integrations.xgboost import PruningCallback

    xt, yt, xv, yv = data()
    trained = []

    class Count(xgb.callback.TrainingCallback):
        # before_iteration: XGBoost keeps callbacks in a set, so their order after a round is
        # arbitrary; every round starts with this one.
        def before_iteration(self, model, epoch, evals_log):
            trained.append(epoch)
            return False

    def objective(trial):
        dvalid = xgb.DMatrix(xv, label=yv)
        booster = xgb.train(
            {"objective": "binary:logistic", "eta": trial["lr"], "max_depth": 2, "eval_metric": "logloss", "seed": 0},
            xgb.DMatrix(xt, label=yt),
            num_boost_round=ROUNDS,
            evals=[(dvalid, "validation")],
            verbose_eval=False,
            callbacks=[Count(), PruningCallback(trial, "validation-logloss")],
        )
        return float(booster.eval(dvalid).split(":")[1])

    study = run_study(client, project, "xgboost-%g" % lr, lr, objective)
    t, detail = check(team, study, pruned, len(trained))
    if not pruned:
        assert t["value"] == pytest.approx(detail["intermediate"][-1]["value"], rel=1e-5)


@pytest.mark.parametrize("lr,pruned", [(1e-4, True), (0.3, False)])
def test_plain_pytorch_loop(client, project, team, lr, pruned):
    torch = pytest.importorskip("torch", reason="torch is not installed (not in CI: PyPI's wheels pull gigabytes of CUDA)")
    from autoglm.integrations.torch import epochs

    xt, yt, xv, yv = data()
    x, y = torch.tensor(xt, dtype=torch.float32), torch.tensor(yt, dtype=torch.float32)
    xv_t, yv_t = torch.tensor(xv, dtype=torch.float32), torch.tensor(yv, dtype=torch.float32)
    trained = []

    def objective(trial):
        torch.manual_seed(0)
        model = torch.nn.Linear(5, 1)
        torch.nn.init.zeros_(model.weight)
        torch.nn.init.zeros_(model.bias)
        opt = torch.optim.SGD(model.parameters(), lr=trial["lr"] * 10)
        loss_fn = torch.nn.BCEWithLogitsLoss()
        for epoch in epochs(trial, ROUNDS):
            opt.zero_grad()
            loss_fn(model(x).squeeze(1), y).backward()
            opt.step()
            trained.append(int(epoch))
            with torch.no_grad():
                epoch.report(loss_fn(model(xv_t).squeeze(1), yv_t))
        return epoch.last_value

    study = run_study(client, project, "torch-%g" % lr, lr, objective)
    check(team, study, pruned, len(trained))


@pytest.mark.parametrize("lr,pruned", [(1e-4, True), (0.3, False)])
def test_pytorch_lightning(client, project, team, lr, pruned):
    torch = pytest.importorskip("torch", reason="torch is not installed (not in CI: PyPI's wheels pull gigabytes of CUDA)")
    try:
        import lightning.pytorch as pl
    except ImportError:
        pl = pytest.importorskip("pytorch_lightning", reason="neither lightning nor pytorch_lightning is installed")
    from autoglm.integrations.lightning import PruningCallback

    xt, yt, xv, yv = data()
    trained = []

    class Module(pl.LightningModule):
        def __init__(self, lr):
            super().__init__()
            self.lr = lr * 10
            self.layer = torch.nn.Linear(5, 1)
            torch.nn.init.zeros_(self.layer.weight)
            torch.nn.init.zeros_(self.layer.bias)

        def training_step(self, batch, _):
            xb, yb = batch
            return torch.nn.functional.binary_cross_entropy_with_logits(self.layer(xb).squeeze(1), yb)

        def on_train_epoch_end(self):
            trained.append(self.current_epoch)

        def validation_step(self, batch, _):
            xb, yb = batch
            self.log("val_loss", torch.nn.functional.binary_cross_entropy_with_logits(self.layer(xb).squeeze(1), yb))

        def configure_optimizers(self):
            return torch.optim.SGD(self.parameters(), lr=self.lr)

    def loader(a, b):
        ds = torch.utils.data.TensorDataset(torch.tensor(a, dtype=torch.float32), torch.tensor(b, dtype=torch.float32))
        return torch.utils.data.DataLoader(ds, batch_size=len(a))

    def objective(trial):
        pruning = PruningCallback(trial, monitor="val_loss")
        trainer = pl.Trainer(max_epochs=ROUNDS, callbacks=[pruning], logger=False, enable_checkpointing=False,
                             enable_progress_bar=False, enable_model_summary=False, num_sanity_val_steps=0, accelerator="cpu")
        trainer.fit(Module(trial["lr"]), loader(xt, yt), loader(xv, yv))
        pruning.check_pruned()
        return trainer.callback_metrics["val_loss"].item()

    study = run_study(client, project, "lightning-%g" % lr, lr, objective)
    check(team, study, pruned, len(trained))
